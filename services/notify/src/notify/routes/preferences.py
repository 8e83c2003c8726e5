"""A participant's choice of the notifications they no longer want."""

from __future__ import annotations

from fastapi import APIRouter

from kit.auth import CurrentPrincipal
from kit.deps import Conn
from notify import preferences
from notify.schemas import Preferences

router = APIRouter(tags=["console"])


@router.get("/me/notification-preferences", response_model=Preferences)
async def my_preferences(who: CurrentPrincipal, conn: Conn) -> Preferences:
    return Preferences(stopped=await preferences.stopped(conn, who.participant_id))  # type: ignore[arg-type]


@router.put("/me/notification-preferences", response_model=Preferences)
async def choose_preferences(chosen: Preferences, who: CurrentPrincipal, conn: Conn) -> Preferences:
    await preferences.choose(conn, who.participant_id, sorted(set(chosen.stopped)))
    return Preferences(stopped=await preferences.stopped(conn, who.participant_id))  # type: ignore[arg-type]
