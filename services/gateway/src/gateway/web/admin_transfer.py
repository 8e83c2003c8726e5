"""Files between organisers and the services: a question bank uploaded to the exam service, and the
exports (results, prize lists, unit statistics, a bank version) streamed back as downloads.

Downloads are plain links on the pages, so they go through this page route with the session's
token, not through `/api` (which takes the cookie only from the page script, see session.py).
Results of a million attempts are streamed in bounded memory, as scoring writes them.
"""

from __future__ import annotations

import re
from typing import Any

import httpx
from fastapi import APIRouter, Request, Response
from fastapi.responses import StreamingResponse
from starlette.background import BackgroundTask

from gateway.routes import owners
from gateway.web import admin_pages, upstream
from gateway.web.staff import staff_or_refusal
from gateway.web.upstream import ServiceError

router = APIRouter(include_in_schema=False)
ID = owners.ID
EXPORTS = re.compile(rf"(?:rounds/{ID}/(?:results|prizes)\.(?:xlsx|csv)|units/{ID}/statistics\.(?:xlsx|csv)"
                     rf"|contests/{ID}/banks/\d+\.xlsx)\Z")
KEPT_HEADERS = ("content-type", "content-disposition")  # the length changes if either side compresses


def _headers(request: Request, token: str | None, accept: str = "application/json") -> dict[str, str]:
    headers = {"accept": accept, "x-forwarded-for": request.client.host if request.client else "unknown"}
    if token:
        headers["authorization"] = f"Bearer {token}"
    return headers


async def upload(request: Request, token: str | None, path: str, name: str, content: bytes,
                 content_type: str) -> Any:
    """POST a file to the exam service; its JSON answer, or a ServiceError that keeps the JSON body
    (a bank's row-by-row report travels in it)."""
    client: httpx.AsyncClient = request.app.state.upstream
    try:
        answer = await client.post(request.app.state.base_urls["exam"] + path, headers=_headers(request, token),
                                   files={"file": (name, content, content_type or "application/octet-stream")})
    except httpx.TransportError as exc:
        raise ServiceError(503, "service_unavailable", upstream.BUSY) from exc
    try:
        body = answer.json()
    except ValueError as exc:
        raise ServiceError(answer.status_code, "bad_answer", upstream.BUSY) from exc
    if answer.status_code >= 400:
        error = body.get("error", {}) if isinstance(body, dict) else {}
        failure = ServiceError(answer.status_code, str(error.get("code", "")),
                               str(error.get("message", upstream.BUSY)))
        failure.body = body  # type: ignore[attr-defined]
        raise failure
    return body


@router.get("/quan-tri/tai-ve/{path:path}")
async def download(path: str, request: Request) -> Response:
    staff = await staff_or_refusal(request)
    if isinstance(staff, Response):
        return staff
    service = owners.service_for("GET", "/" + path)
    if service is None or not EXPORTS.match(path):
        return admin_pages.error(request, staff, ServiceError(404, "not_found", "Không tìm thấy tệp yêu cầu."))
    client: httpx.AsyncClient = request.app.state.upstream
    outgoing = client.build_request("GET", request.app.state.base_urls[service] + "/" + path,
                                    params=request.query_params, headers=_headers(request, staff.who.token, "*/*"))
    try:
        answer = await client.send(outgoing, stream=True)
    except httpx.TransportError:
        return admin_pages.error(request, staff, ServiceError(503, "service_unavailable", upstream.BUSY))
    if answer.status_code >= 400:
        await answer.aread()
        await answer.aclose()
        try:
            error = answer.json()["error"]
            failure = ServiceError(answer.status_code, str(error["code"]), str(error["message"]))
        except (ValueError, KeyError, TypeError):
            failure = ServiceError(answer.status_code, "unavailable", upstream.BUSY)
        return admin_pages.error(request, staff, failure)
    headers = {k: v for k, v in answer.headers.items() if k.lower() in KEPT_HEADERS}
    headers["cache-control"] = "no-store"
    return StreamingResponse(answer.aiter_bytes(), answer.status_code, headers=headers,
                             background=BackgroundTask(answer.aclose))
