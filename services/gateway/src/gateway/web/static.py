"""The stylesheet and the script, cached by browsers for a year under a URL that changes with them."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from kit.errors import Problem

router = APIRouter(include_in_schema=False)
TYPES = {"site.css": "text/css; charset=utf-8", "site.js": "text/javascript; charset=utf-8"}


@router.get("/static/{name}")
async def asset(name: str, request: Request, v: str = "") -> Response:
    assets = request.app.state.assets
    if name not in assets.files:
        raise Problem(404, "not_found", "Không tìm thấy tệp.")
    version = assets.versions[name]
    etag = f'"{version}"'
    cache = "public, max-age=31536000, immutable" if v == version else "public, max-age=300"
    headers = {"cache-control": cache, "etag": etag, "x-content-type-options": "nosniff"}
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    return Response(assets.files[name], media_type=TYPES[name], headers=headers)
