"""Changing one's phone number on the account page: the new number (with the current password), then the
code sent to it. Registration keeps the old number until that code comes back."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from gateway.web import account, forms, render, session, upstream
from gateway.web.upstream import ServiceError

router = APIRouter(include_in_schema=False)
SECTION = "so-dien-thoai"
# The service's names for the fields, and the refusals about one field, as this form names them.
RENAMED = {"phone": "new_phone", "current_password": "phone_password", "code": "phone_code"}
CODES = {"wrong_password": "phone_password", "same_phone": "new_phone", "invalid_phone": "new_phone",
         "already_registered": "new_phone", "wrong_code": "phone_code"}


@router.post(account.PATH + "/so-dien-thoai")
async def change_phone(request: Request) -> Response:
    """Step one sends a code to the new number; step two confirms it and the number changes."""
    who = await session.visitor(request)
    if not who.logged_in:
        return render.redirect(who, render.login_url(account.PATH))
    form = await forms.read(request, who)
    new_phone = form.get("new_phone")
    step = "confirm" if form.get("step") == "confirm" else "request"
    values = {"new_phone": new_phone, "phone_code": form.get("phone_code")}
    if not form.valid:
        return await account.page(request, who, 403, SECTION, forms.EXPIRED_FORM, values=values, phone_step=step,
                                  new_phone=new_phone)
    try:
        if step == "request":
            await upstream.call(request, "registration", "POST", "/participants/me/phone", who, json={
                "phone": new_phone, "current_password": form.get("phone_password") or None})
            return await account.page(request, who, 200, SECTION, values=values, phone_step="confirm",
                                      new_phone=new_phone)
        await upstream.call(request, "registration", "POST", "/participants/me/phone/confirm", who,
                            json={"code": form.get("phone_code")})
    except ServiceError as error:
        return await account.page(request, who, error.status, SECTION, error.message,
                                  account.form_errors(error, RENAMED, CODES), values, phone_step=step,
                                  new_phone=new_phone)
    return render.redirect(who, account.PATH + "?tb=da-doi-so-dien-thoai")
