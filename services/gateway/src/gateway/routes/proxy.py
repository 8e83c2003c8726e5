"""Forward an API call to the service that owns it, and its answer back, unchanged."""

from __future__ import annotations

import httpx
from fastapi import APIRouter, Request, Response
from fastapi.responses import StreamingResponse
from starlette.background import BackgroundTask

from gateway.routes import owners
from gateway.web import session
from kit.errors import Problem

router = APIRouter()
FORWARDED_HEADERS = ("authorization", "content-type", "accept", "idempotency-key", "x-request-id")
RETURNED_HEADERS = ("content-type", "retry-after", "content-disposition")
# Exports of a million rows take minutes to prepare: their first byte may come long after a call's usual limit.
EXPORT_TIMEOUT = httpx.Timeout(15.0, read=600.0)
BUSY = Problem(503, "service_unavailable", "Hệ thống đang bận, vui lòng thử lại sau ít giây.", {"Retry-After": "2"})


@router.api_route("/api/{path:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE"], include_in_schema=False)
async def forward(path: str, request: Request) -> Response:
    service = owners.service_for(request.method, "/" + path)
    if service is None:
        raise Problem(404, "not_found", "Không tìm thấy địa chỉ yêu cầu.")
    client: httpx.AsyncClient = request.app.state.upstream
    headers = {k: v for k, v in request.headers.items() if k.lower() in FORWARDED_HEADERS}
    # The attempt page's script calls the API with the session cookie; bearer clients are unchanged.
    cookie_auth, visitor = await session.api_authorization(request)
    headers.update(cookie_auth)
    # Services limit rates per participant address; they sit behind the gateway and trust this header.
    headers["x-forwarded-for"] = request.client.host if request.client else "unknown"
    url = request.app.state.base_urls[service] + "/" + path
    export = path.endswith((".xlsx", ".csv"))
    outgoing = client.build_request(request.method, url, params=request.query_params, headers=headers,
                                    content=await request.body(),
                                    timeout=EXPORT_TIMEOUT if export else httpx.USE_CLIENT_DEFAULT)
    try:
        # Streamed through, not held: an export of a million rows passes without the gateway keeping it.
        answer = await client.send(outgoing, stream=True)
    except httpx.TransportError as exc:
        raise BUSY from exc
    kept = {k: v for k, v in answer.headers.items() if k.lower() in RETURNED_HEADERS}
    response = StreamingResponse(answer.aiter_bytes(), answer.status_code, headers=kept,
                                 background=BackgroundTask(answer.aclose))
    return session.apply(response, visitor) if visitor else response
