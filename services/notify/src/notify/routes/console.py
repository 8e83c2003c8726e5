"""HTTP routes of the notification console: organisers' and coordinators' announcements and message templates."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response

from kit.auth import Staff
from kit.deps import Conn
from kit.errors import Problem
from notify import announcements, contest_templates
from notify.schemas import (
    AnnouncementProgress,
    AnnouncementView,
    AudienceCount,
    Composition,
    NewAnnouncement,
    TemplateBody,
    TemplateView,
)

router = APIRouter(tags=["console"])


@router.post("/contests/{contest_id}/announcements/audience", response_model=AudienceCount)
async def count_audience(contest_id: str, draft: Composition, by: Staff, conn: Conn, request: Request) -> Any:
    """How many it will reach on each channel, and how it will read, before anything is sent."""
    return await announcements.count_audience(conn, by, contest_id, draft, request.app.state.runtime.settings)


@router.post("/contests/{contest_id}/announcements", status_code=201)
async def create_announcement(contest_id: str, new: NewAnnouncement, by: Staff, conn: Conn,
                              request: Request) -> dict[str, str]:
    announcement_id = await announcements.create(conn, by, contest_id, new)
    request.app.state.dispatcher.wake()
    return {"id": str(announcement_id)}


@router.get("/contests/{contest_id}/announcements", response_model=list[AnnouncementView])
async def list_announcements(contest_id: str, by: Staff, conn: Conn,
                             limit: Annotated[int, Query(ge=1, le=200)] = 50) -> Any:
    return [announcements.view(r, r["due_at"]) for r in await announcements.listing(conn, by, contest_id, limit)]


@router.get("/announcements/{announcement_id}", response_model=AnnouncementProgress)
async def announcement_progress(announcement_id: uuid.UUID, by: Staff, conn: Conn) -> Any:
    """Queued, sent, delivered, failed and retried per channel; reach and failures per unit."""
    return await announcements.detail(conn, by, announcement_id)


@router.post("/announcements/{announcement_id}/cancellation", status_code=204)
async def cancel_announcement(announcement_id: uuid.UUID, by: Staff, conn: Conn) -> Response:
    await announcements.cancel(conn, by, announcement_id)
    return Response(status_code=204)


@router.post("/announcements/{announcement_id}/retry")
async def send_failed_again(announcement_id: uuid.UUID, by: Staff, conn: Conn, request: Request) -> dict[str, int]:
    """The dead-letter store's retry button: what failed is queued again, with today's contacts."""
    again = await announcements.send_failed_again(conn, by, announcement_id, request.app.state.runtime.settings)
    return {"queued_again": again}


@router.get("/contests/{contest_id}/message-templates", response_model=list[TemplateView])
async def list_templates(contest_id: str, by: Staff, conn: Conn) -> Any:
    return await contest_templates.listing(conn, by, contest_id)


@router.put("/contests/{contest_id}/message-templates/{name}", status_code=204)
async def save_template(contest_id: str, name: str, template: TemplateBody, by: Staff, conn: Conn) -> Response:
    if not (2 <= len(name) <= 64 and all(c.isascii() and (c.isalnum() or c == "-") for c in name)):
        raise Problem(422, "bad_template_name", "Tên mẫu chỉ gồm chữ không dấu, số và dấu gạch ngang (2–64 ký tự).")
    await contest_templates.save(conn, by, contest_id, name.lower(), template)
    return Response(status_code=204)


@router.delete("/contests/{contest_id}/message-templates/{name}", status_code=204)
async def delete_template(contest_id: str, name: str, by: Staff, conn: Conn) -> Response:
    await contest_templates.delete(conn, by, contest_id, name)
    return Response(status_code=204)
