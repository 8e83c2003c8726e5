"""A participant's own data held by exam, for them to download."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from exam import personal_data
from kit.auth import CurrentPrincipal
from kit.deps import Conn

router = APIRouter(tags=["participants"])


@router.get("/participants/me/export")
async def export(who: CurrentPrincipal, conn: Conn) -> dict[str, Any]:
    """The participant's attempts with the answers they gave, and their invitations to final rounds."""
    return await personal_data.export(conn, who.participant_id)
