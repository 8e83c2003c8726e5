"""Register, verify the phone, log in and out (a forgotten password: gateway.web.password_reset)."""

from __future__ import annotations

import contextlib
from typing import Any

from fastapi import APIRouter, Request, Response

from gateway.web import consent, forms, render, session, upstream
from gateway.web.session import Visitor
from gateway.web.upstream import ServiceError

router = APIRouter(include_in_schema=False)
UNITS_TTL_S = 300.0
# Which field a service's refusal is about, so the message stands next to that field.
FIELD_OF = {"invalid_phone": "phone", "already_registered": "phone", "unknown_unit": "unit_code",
            "invalid_category": "category", "consent_required": "consent", "consent_outdated": "consent",
            "wrong_code": "code", "wrong_credentials": "password"}

REGISTER_FIELDS = ("full_name", "phone", "email", "birth_year", "unit_code", "category")


def field_errors(error: ServiceError) -> dict[str, str]:
    found = {name.split(".")[0]: message for name, message in error.fields.items()}
    field = FIELD_OF.get(error.code)
    if error.code == "already_registered" and error.message.startswith("Email"):
        field = "email"
    if field:
        found[field] = error.message
    return found


async def _register_page(request: Request, who: Visitor, values: dict[str, str], message: str = "",
                         errors: dict[str, str] | None = None, status: int = 200, outdated: bool = False) -> Response:
    units = await upstream.cached(request, "registration", "/units", UNITS_TTL_S)
    return render.page(request, who, "register.html", status, values=values, message=message, errors=errors or {},
                       units=forms.unit_options(units), categories=forms.CATEGORIES,
                       consent=await consent.notice(request, outdated),
                       next=render.safe_next(request.query_params.get("tiep")))


@router.get("/dang-ky")
async def register_form(request: Request) -> Response:
    who = await session.visitor(request)
    return await _register_page(request, who, {"category": "can-bo-cong-chuc-vien-chuc"})


@router.post("/dang-ky")
async def register(request: Request) -> Response:
    who = await session.visitor(request)
    form = await forms.read(request, who)
    values = {name: form.get(name) for name in REGISTER_FIELDS}
    if not form.valid:
        return await _register_page(request, who, values, forms.EXPIRED_FORM, status=403)
    if form.get("password") != form.get("password_again"):
        return await _register_page(request, who, values, "Vui lòng kiểm tra lại thông tin.",
                                    {"password_again": "Mật khẩu nhập lại không khớp."}, 422)
    body: dict[str, Any] = {**values, "email": values["email"] or None, "password": form.get("password"),
                            "birth_year": forms.int_or_none(values["birth_year"]), **consent.fields(form)}
    try:
        opened = await upstream.call(request, "registration", "POST", "/participants", json=body)
    except ServiceError as error:
        return await _register_page(request, who, values, error.message, field_errors(error), error.status,
                                    outdated=error.code == "consent_outdated")
    session.log_in(request, who, opened)
    next_path = render.safe_next(request.query_params.get("tiep"))
    return render.redirect(who, "/xac-minh?tiep=" + next_path)


@router.get("/xac-minh")
async def verify_form(request: Request) -> Response:
    who = await session.visitor(request)
    if not who.logged_in:
        return render.redirect(who, render.login_url("/xac-minh"))
    return render.page(request, who, "verify.html", message="", errors={}, sent=request.query_params.get("gui") == "1",
                       next=render.safe_next(request.query_params.get("tiep")))


@router.post("/xac-minh")
async def verify(request: Request) -> Response:
    who = await session.visitor(request)
    form = await forms.read(request, who)
    next_path = render.safe_next(form.get("tiep"))
    if not who.logged_in:
        return render.redirect(who, render.login_url("/xac-minh"))
    message, errors, status = forms.EXPIRED_FORM, {}, 403
    if form.valid:
        try:
            if form.get("action") == "resend":
                await upstream.call(request, "registration", "POST", "/participants/me/verifications", who,
                                    json={"channel": "sms"})
                return render.redirect(who, f"/xac-minh?gui=1&tiep={next_path}")
            await upstream.call(request, "registration", "POST", "/participants/me/verifications/confirm", who,
                                json={"channel": "sms", "code": form.get("code")})
            return render.redirect(who, next_path + ("&" if "?" in next_path else "?") + "tb=da-xac-minh")
        except ServiceError as error:
            message, errors, status = error.message, field_errors(error), error.status
    return render.page(request, who, "verify.html", status, message=message, errors=errors, sent=False,
                       next=next_path)


@router.get("/dang-nhap")
async def login_form(request: Request) -> Response:
    who = await session.visitor(request)
    return render.page(request, who, "login.html", values={}, message="", errors={}, consent=None,
                       next=render.safe_next(request.query_params.get("tiep")))


@router.post("/dang-nhap")
async def login(request: Request) -> Response:
    who = await session.visitor(request)
    form = await forms.read(request, who)
    next_path = render.safe_next(form.get("tiep"))
    values = {"phone": form.get("phone")}
    if not form.valid:
        return render.page(request, who, "login.html", 403, values=values, message=forms.EXPIRED_FORM, errors={},
                           consent=await consent.asked(request, form, None), next=next_path)
    try:
        opened = await upstream.call(request, "registration", "POST", "/sessions", json={
            "phone": form.get("phone"), "password": form.get("password"), **consent.fields(form)})
    except ServiceError as error:
        return render.page(request, who, "login.html", error.status, values=values, message=consent.message(error),
                           errors=field_errors(error), consent=await consent.asked(request, form, error),
                           next=next_path)
    session.log_in(request, who, opened)
    return render.redirect(who, next_path)


@router.post("/dang-xuat")
async def logout(request: Request) -> Response:
    who = await session.visitor(request)
    form = await forms.read(request, who)
    if form.valid and (refresh_token := request.cookies.get(session.REFRESH_COOKIE)):
        # The cookies go anyway; a refresh token the service did not hear about simply expires.
        with contextlib.suppress(ServiceError):
            await upstream.call(request, "registration", "POST", "/sessions/logout",
                                json={"refresh_token": refresh_token})
    if form.valid:
        session.log_out(who)
    return render.redirect(who, "/?tb=da-dang-xuat" if form.valid else "/")
