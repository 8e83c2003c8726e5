"""The participant's inbox: read it, mark a message read."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from kit.auth import CurrentPrincipal
from kit.errors import Problem
from notify import inbox
from notify.schemas import InboxView, MessageView

router = APIRouter()


@router.get("/inbox", response_model=InboxView)
async def read_inbox(who: CurrentPrincipal, request: Request,
                     limit: Annotated[int, Query(ge=1, le=100)] = 20) -> InboxView:
    async with request.app.state.runtime.pool.acquire() as conn:
        rows, unread = await inbox.read_inbox(conn, who.participant_id, limit)
    return InboxView(unread=unread, messages=[
        MessageView(id=r["id"], sender=r["sender"], title=r["title"], body=r["body"], created_at=r["created_at"],
                    read=r["read_at"] is not None) for r in rows])


@router.post("/inbox/{message_id}/read", status_code=204)
async def mark_read(message_id: int, who: CurrentPrincipal, request: Request) -> Response:
    async with request.app.state.runtime.pool.acquire() as conn:
        if not await inbox.mark_read(conn, who.participant_id, message_id):
            raise Problem(404, "message_not_found", "Không tìm thấy thông báo.")
    return Response(status_code=204)
