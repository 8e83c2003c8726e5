"""A forgotten password: a code to the phone, then a new password with it; also how a person
pre-registered by their unit, who has no password yet, sets their first one."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from gateway.web import accounts, consent, forms, render, session, upstream
from gateway.web.session import Visitor
from gateway.web.upstream import ServiceError

router = APIRouter(include_in_schema=False)


@router.get("/quen-mat-khau")
async def reset_form(request: Request) -> Response:
    who = await session.visitor(request)
    return render.page(request, who, "reset.html", step="request", values={}, message="", errors={}, consent=None)


@router.post("/quen-mat-khau")
async def reset(request: Request) -> Response:
    """Step one sends a code to the phone; step two sets the new password with it and logs in.

    A person pre-registered by their unit sets their first password this way, and agrees to the
    personal-data notice on step two; the code they typed stays in the form while they do.
    """
    who = await session.visitor(request)
    form = await forms.read(request, who)
    values = {"phone": form.get("phone"), "code": form.get("code")}
    step = "confirm" if form.get("step") == "confirm" else "request"
    if not form.valid:
        return await _reset_page(request, who, form, step, values, forms.EXPIRED_FORM, {}, 403)
    try:
        if step == "request":
            await upstream.call(request, "registration", "POST", "/password-resets", json={"phone": values["phone"]})
            return await _reset_page(request, who, form, "confirm", {"phone": values["phone"]}, "", {}, 200)
        if form.get("new_password") != form.get("password_again"):
            return await _reset_page(request, who, form, step, values, "Vui lòng kiểm tra lại thông tin.",
                                     {"password_again": "Mật khẩu nhập lại không khớp."}, 422)
        opened = await upstream.call(request, "registration", "POST", "/password-resets/confirm", json={
            **values, "new_password": form.get("new_password"), **consent.fields(form)})
    except ServiceError as error:
        return await _reset_page(request, who, form, step, values, consent.message(error),
                                 accounts.field_errors(error), error.status, error)
    session.log_in(request, who, opened)
    return render.redirect(who, "/?tb=da-doi-mat-khau")


async def _reset_page(request: Request, who: Visitor, form: forms.Form, step: str, values: dict[str, str],
                      message: str, errors: dict[str, str], status: int, error: ServiceError | None = None) -> Response:
    asked = await consent.asked(request, form, error) if step == "confirm" else None
    return render.page(request, who, "reset.html", status, step=step, values=values, message=message, errors=errors,
                       consent=asked)
