"""One download of everything the platform holds about a participant (Nghị định 13/2023/NĐ-CP, the right
to access).

Each service exports its own data at GET /participants/me/export; the gateway asks all four at once with
the participant's token and sets their answers side by side, one section per service. A file without one
service's section would look complete and not be, so a service that cannot answer fails the whole download.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import httpx
from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from gateway.web import session
from kit.auth import TokenVerifier, bearer_token
from kit.errors import Problem
from kit.logs import log

router = APIRouter()
SERVICES = ("registration", "exam", "scoring", "notify")
NOT_LOGGED_IN = Problem(401, "not_logged_in", "Bạn cần đăng nhập để tiếp tục.")
INCOMPLETE = Problem(503, "export_incomplete", "Chưa lấy được dữ liệu của bạn từ tất cả các phần của hệ thống nên"
                                               " chưa thể tạo tệp dữ liệu cá nhân đầy đủ. Vui lòng thử lại sau ít"
                                               " phút.", {"Retry-After": "30"})
NOTE = ("Toàn bộ dữ liệu cá nhân của bạn trên hệ thống thi trực tuyến, mỗi phần do một dịch vụ lưu giữ: đăng ký"
        " (registration), thi trực tuyến (exam), chấm thi và xếp hạng (scoring), thông báo (notify).")


@router.get("/api/participants/me/export", include_in_schema=False)
async def export(request: Request) -> Response:
    """The four services' exports in one JSON file; 503 unless every one of them answered."""
    cookie_auth, visitor = await session.api_authorization(request)
    document = await gather(request, request.headers.get("authorization") or cookie_auth.get("authorization", ""))
    response = attachment(document)
    return session.apply(response, visitor) if visitor else response


async def gather(request: Request, authorization: str) -> dict[str, Any]:
    """Everything the platform holds about the participant the bearer `authorization` names, one section per
    service; a Problem unless every service answered. Also the account page's download (gateway.web.own_data)."""
    token = bearer_token(authorization)
    if token is None:
        raise NOT_LOGGED_IN
    verifier: TokenVerifier = request.app.state.verifier
    who = verifier.verify(token)  # the same 401s the services would give, before asking any of them
    headers = {"authorization": authorization, "accept": "application/json",
               "x-forwarded-for": request.client.host if request.client else "unknown"}
    if "x-request-id" in request.headers:  # one id across the four services' logs, as the proxy passes it
        headers["x-request-id"] = request.headers["x-request-id"]
    parts = await asyncio.gather(*(_section(request, service, headers) for service in SERVICES))
    refused = [p for p in parts if isinstance(p, Problem)]
    if refused:
        raise min(refused, key=lambda p: p.status == 503)  # a service's own refusal (401, 403) says more
    return {"participant_id": who.participant_id, "exported_at": datetime.now(UTC).isoformat(), "note": NOTE,
            **dict(zip(SERVICES, parts, strict=True))}


def attachment(document: dict[str, Any]) -> JSONResponse:
    """The export as a file to save; a copy of one's personal data is never kept by a cache on the way."""
    filename = f"du-lieu-ca-nhan-{document['participant_id']}.json"
    return JSONResponse(document, headers={"content-disposition": f'attachment; filename="{filename}"',
                                           "cache-control": "no-store"})


async def _section(request: Request, service: str, headers: dict[str, str]) -> dict[str, Any] | Problem:
    """The service's export; its own refusal (401, 403) as a Problem; INCOMPLETE for anything else."""
    client: httpx.AsyncClient = request.app.state.upstream
    url = request.app.state.base_urls[service] + "/participants/me/export"
    try:
        answer = await client.get(url, headers=headers)
        found = answer.json()
    except (httpx.HTTPError, ValueError) as exc:
        log.warning("personal data export incomplete", service=service, error=repr(exc))
        return INCOMPLETE
    if answer.status_code == 200 and isinstance(found, dict):
        return found
    error = found.get("error") if isinstance(found, dict) else None
    if answer.status_code in (401, 403) and isinstance(error, dict):
        return Problem(answer.status_code, str(error.get("code")), str(error.get("message")))
    log.warning("personal data export incomplete", service=service, status=answer.status_code)
    return INCOMPLETE
