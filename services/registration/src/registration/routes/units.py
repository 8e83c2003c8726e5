"""The unit tree, and the participants of a unit for those who may see them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from kit.auth import Staff
from kit.deps import Conn
from registration import staff, units
from registration.schemas import UnitCodeInPath, UnitMembers, UnitView

router = APIRouter(tags=["units"])


@router.get("/units", response_model=list[UnitView])
async def list_units(conn: Conn) -> list[UnitView]:
    return [UnitView(**dict(r)) for r in await units.all_units(conn)]


@router.get("/units/{unit_code}/participants", response_model=UnitMembers)
async def unit_participants(unit_code: UnitCodeInPath, viewer: Staff, conn: Conn,
                            # Bounded so that PostgreSQL's bigint is never overrun (was a 503).
                            offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
                            limit: Annotated[int, Query(ge=1, le=500)] = 100) -> UnitMembers:
    return await staff.members(conn, viewer, unit_code, offset, limit)
