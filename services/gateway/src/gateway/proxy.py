"""Forward an API call to the service that owns it, and its answer back, unchanged."""

from __future__ import annotations

import httpx
from fastapi import APIRouter, Request, Response

from gateway import routes
from gateway.web import session
from kit.errors import Problem

router = APIRouter()
FORWARDED_HEADERS = ("authorization", "content-type", "accept", "idempotency-key", "x-request-id")
RETURNED_HEADERS = ("content-type", "retry-after")
BUSY = Problem(503, "service_unavailable", "Hệ thống đang bận, vui lòng thử lại sau ít giây.", {"Retry-After": "2"})


@router.api_route("/api/{path:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE"], include_in_schema=False)
async def forward(path: str, request: Request) -> Response:
    service = routes.service_for(request.method, "/" + path)
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
    try:
        answer = await client.request(request.method, url, params=request.query_params, headers=headers,
                                      content=await request.body())
    except httpx.TransportError as exc:
        raise BUSY from exc
    kept = {k: v for k, v in answer.headers.items() if k.lower() in RETURNED_HEADERS}
    response = Response(answer.content, answer.status_code, headers=kept)
    return session.apply(response, visitor) if visitor else response
