"""A participant's own account page (/tai-khoan): what registration holds about them, and the forms to
correct it and to change the password, as the personal-data notice promises (Nghị định 13/2023/NĐ-CP).

Changing the phone: gateway.web.phone_change; downloading one's data and deleting the account:
gateway.web.own_data. Every form re-renders this one page, with its errors in the section that failed.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response

from gateway.web import accounts, forms, render, session, upstream
from gateway.web.session import Visitor
from gateway.web.upstream import ServiceError

router = APIRouter(include_in_schema=False)
PATH = "/tai-khoan"
DETAILS = ("full_name", "email", "birth_year", "unit_code", "category")
NO_BIRTH_YEAR = "Năm sinh: vui lòng nhập năm sinh gồm 4 chữ số, ví dụ 1990."


def form_errors(error: ServiceError, renamed: dict[str, str] | None = None,
                codes: dict[str, str] | None = None) -> dict[str, str]:
    """The service's refusal next to this form's fields: `renamed` maps the service's field names to the form's
    (several forms share the page, so their ids differ), `codes` the refusals that are about one field."""
    found = {(renamed or {}).get(name, name): message for name, message in accounts.field_errors(error).items()}
    field = (codes or {}).get(error.code)
    if field:
        found[field] = error.message
    return found


def local_phone(phone: str | None) -> str:
    """+84912345678 -> 0912345678, the form people know their number in."""
    return "0" + phone[3:] if phone and phone.startswith("+84") else phone or ""


async def page(request: Request, who: Visitor, status: int = 200, section: str = "", message: str = "",
               errors: dict[str, str] | None = None, values: dict[str, str] | None = None,
               **steps: Any) -> Response:
    """The account page; `section` names the form whose `message` and `errors` are shown, `values` what it
    keeps of what was typed, `steps` where the phone change and the deletion stand."""
    try:
        me = await upstream.call(request, "registration", "GET", "/participants/me", who)
        units = await upstream.cached(request, "registration", "/units", accounts.UNITS_TTL_S)
    except ServiceError as error:
        return render.page(request, who, "error.html", error.status, message=error.message)
    current = {"full_name": me["full_name"], "email": me["email"] or "", "birth_year": str(me["birth_year"]),
               "unit_code": me["unit_code"], "category": me["category"]}
    return render.page(request, who, "account.html", status, me=me, phone=local_phone(me["phone"]),
                       values={**current, **(values or {})}, section=section, message=message, errors=errors or {},
                       units=forms.unit_options(units), categories=forms.CATEGORIES,
                       phone_step=steps.get("phone_step", "request"), new_phone=steps.get("new_phone", ""),
                       erase_step=steps.get("erase_step", "password"))


@router.get(PATH)
async def account(request: Request) -> Response:
    who = await session.visitor(request)
    if not who.logged_in:
        return render.redirect(who, render.login_url(PATH))
    return await page(request, who)


@router.post(PATH + "/thong-tin")
async def change_details(request: Request) -> Response:
    """Name, email (left empty, it is removed), birth year, unit and category, all at once."""
    who = await session.visitor(request)
    if not who.logged_in:
        return render.redirect(who, render.login_url(PATH))
    form = await forms.read(request, who)
    values = {name: form.get(name) for name in DETAILS}
    if not form.valid:
        return await page(request, who, 403, "thong-tin", forms.EXPIRED_FORM, values=values)
    birth_year = forms.int_or_none(values["birth_year"])
    if birth_year is None:
        return await page(request, who, 422, "thong-tin", "Vui lòng kiểm tra lại thông tin.",
                          {"birth_year": NO_BIRTH_YEAR}, values)
    # Email null removes it; registration leaves an unchanged value as it is.
    body = {**values, "email": values["email"] or None, "birth_year": birth_year}
    try:
        await upstream.call(request, "registration", "PATCH", "/participants/me", who, json=body)
    except ServiceError as error:
        return await page(request, who, error.status, "thong-tin", error.message, form_errors(error), values)
    await renew(request, who)
    return render.redirect(who, PATH + "?tb=da-luu-thong-tin")


@router.post(PATH + "/mat-khau")
async def change_password(request: Request) -> Response:
    who = await session.visitor(request)
    if not who.logged_in:
        return render.redirect(who, render.login_url(PATH))
    form = await forms.read(request, who)
    if not form.valid:
        return await page(request, who, 403, "mat-khau", forms.EXPIRED_FORM)
    if form.get("new_password") != form.get("password_again"):
        return await page(request, who, 422, "mat-khau", "Vui lòng kiểm tra lại thông tin.",
                          {"password_again": "Mật khẩu nhập lại không khớp."})
    body = {"current_password": form.get("current_password") or None, "new_password": form.get("new_password")}
    try:
        await upstream.call(request, "registration", "PATCH", "/participants/me", who, json=body)
    except ServiceError as error:
        return await page(request, who, error.status, "mat-khau", error.message,
                          form_errors(error, codes={"wrong_password": "current_password"}))
    return render.redirect(who, PATH + "?tb=da-doi-mat-khau-tai-khoan")


async def renew(request: Request, who: Visitor) -> None:
    """A new session after the name or unit changed: the token carries both, and the page greets the person
    by the name they just corrected. Without an answer, the old session goes on until its next refresh."""
    token = (who.set_session or {}).get("refresh_token") or request.cookies.get(session.REFRESH_COOKIE)
    if not token:
        return
    refresher: session.Refresher = request.app.state.refresher
    fresh = await refresher.refresh(request.app.state.upstream, request.app.state.base_urls["registration"], token)
    if fresh:
        session.log_in(request, who, fresh)
