"""One's own personal data from the account page: download all of it, or delete the account
(Nghị định 13/2023/NĐ-CP, the rights to access and to erasure)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from gateway.routes import personal_data
from gateway.web import account, forms, render, session, upstream
from gateway.web.upstream import ServiceError
from kit.errors import Problem

router = APIRouter(include_in_schema=False)
SECTION = "xoa-tai-khoan"
RENAMED = {"password": "erase_password", "code": "erase_code"}
CODES = {"wrong_password": "erase_password", "confirmation_required": "erase_password", "wrong_code": "erase_code"}


@router.get(account.PATH + "/du-lieu")
async def download(request: Request) -> Response:
    """The four services' exports in one JSON file, as GET /api/participants/me/export gives it.

    A read of one's own data changes nothing, so it needs no CSRF token; a page elsewhere that links here
    only makes the person's own browser save their own file."""
    who = await session.visitor(request)
    if not who.logged_in:
        # Back to the account page, not to the file: a download would leave them on the log-in page.
        return render.redirect(who, render.login_url(account.PATH))
    try:
        document = await personal_data.gather(request, f"Bearer {who.token}")
    except Problem as problem:
        return await account.page(request, who, problem.status, "du-lieu", problem.message)
    return session.apply(personal_data.attachment(document), who)


@router.post(account.PATH + "/xoa")
async def erase(request: Request) -> Response:
    """Send a code to the phone (action=code), or delete with the password or that code; then log out."""
    who = await session.visitor(request)
    if not who.logged_in:
        return render.redirect(who, render.login_url(account.PATH))
    form = await forms.read(request, who)
    step = "code" if form.get("action") == "code" or form.get("step") == "code" else "password"
    if not form.valid:
        return await account.page(request, who, 403, SECTION, forms.EXPIRED_FORM, erase_step=step)
    try:
        if form.get("action") == "code":
            await upstream.call(request, "registration", "POST", "/participants/me/erasure/code", who)
            return await account.page(request, who, 200, SECTION, erase_step="code")
        # Only what was typed: registration checks each confirmation it is given.
        body = {name: form.get(field) for name, field in RENAMED.items() if form.get(field)}
        await upstream.call(request, "registration", "POST", "/participants/me/erasure", who, json=body)
    except ServiceError as error:
        return await account.page(request, who, error.status, SECTION, error.message,
                                  account.form_errors(error, RENAMED, CODES), erase_step=step)
    session.log_out(who)  # registration has ended every session of the account; the cookies go too
    return render.redirect(who, "/?tb=da-xoa-tai-khoan")
