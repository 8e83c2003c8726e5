"""Role grants: operators grant roles, organisers grant unit coordinators."""

from __future__ import annotations

from fastapi import APIRouter, Response

from kit.auth import Staff
from kit.deps import Conn
from registration import staff
from registration.schemas import GrantRole

router = APIRouter(tags=["staff"])


@router.post("/role-grants", status_code=204)
async def grant_role(command: GrantRole, by: Staff, conn: Conn) -> Response:
    """The new role is in the person's next token (log in again or refresh)."""
    await staff.grant(conn, by, command)
    return Response(status_code=204)
