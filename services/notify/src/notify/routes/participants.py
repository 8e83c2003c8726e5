"""A participant's own data held by notify, for them to download."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from kit.auth import CurrentPrincipal
from kit.deps import Conn
from notify import personal_data

router = APIRouter(tags=["participants"])


@router.get("/participants/me/export")
async def export(who: CurrentPrincipal, conn: Conn) -> dict[str, Any]:
    """The participant's contacts, stopped notifications, inbox and deliveries."""
    return await personal_data.export(conn, who.participant_id)
