"""Delivery reports: a provider says whether a message it took reached the handset."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import APIRouter, Header, Request, Response

from kit.deps import Conn
from kit.errors import Problem
from notify import preferences
from notify.schemas import DeliveryReport

router = APIRouter(tags=["console"])


@router.post("/deliveries/reports", status_code=204)
async def delivery_report(report: DeliveryReport, conn: Conn, request: Request,
                          authorization: Annotated[str, Header()] = "") -> Response:
    """A provider tells us a message reached the handset, or could not."""
    token = request.app.state.runtime.settings.delivery_report_token
    given = authorization.removeprefix("Bearer ").strip()
    if token is None or not hmac.compare_digest(given.encode(), token.get_secret_value().encode()):
        raise Problem(401, "bad_report_token", "Báo cáo giao tin không hợp lệ.")
    if not await preferences.report(conn, report.provider_id, report.delivered, report.error):
        raise Problem(404, "delivery_not_found", "Không tìm thấy tin nhắn đã gửi với mã này.")
    return Response(status_code=204)
