"""Role grants: operators grant and revoke roles, organisers grant and revoke unit coordinators."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from kit.auth import Staff
from kit.deps import Conn
from registration import staff
from registration.schemas import GrantRole, RoleGrantView

router = APIRouter(tags=["staff"])


@router.post("/role-grants", status_code=204)
async def grant_role(command: GrantRole, by: Staff, conn: Conn) -> Response:
    """The new role is in the person's next token (log in again or refresh)."""
    await staff.grant(conn, by, command)
    return Response(status_code=204)


@router.get("/role-grants", response_model=list[RoleGrantView])
async def list_grants(by: Staff, conn: Conn, offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
                      limit: Annotated[int, Query(ge=1, le=1000)] = 500) -> list[RoleGrantView]:
    """The grants the caller could make or revoke."""
    return await staff.grants(conn, by, offset, limit)


@router.delete("/role-grants/{grant_id}", status_code=204)
async def revoke_grant(grant_id: Annotated[int, Path(ge=1, le=2**63 - 1)], by: Staff, conn: Conn) -> Response:
    """Tokens issued from now on lack the role; one already issued keeps it until it expires (minutes)."""
    await staff.revoke(conn, by, grant_id)
    return Response(status_code=204)
