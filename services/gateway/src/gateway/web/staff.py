"""Who may open the organisers' pages: a person whose verified access token carries grants.

The grants come from a token whose signature the gateway has verified (gateway.web.session), so a
forged cookie opens nothing; every service call still carries the token, and the service verifies
it and enforces the scope (a coordinator's subtree, an organiser's contest).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import Request, Response

from gateway.web import render, session
from gateway.web.session import Visitor
from kit.auth import Principal

PREFIX = "/quan-tri"
STAFF_ONLY = ("Trang này chỉ dành cho Ban Tổ chức và cán bộ đầu mối của đơn vị. Tài khoản của bạn chưa được"
              " cấp quyền; nếu bạn cần quyền, hãy liên hệ Ban Tổ chức cuộc thi.")
NOT_ORGANISER = "Chỉ Ban Tổ chức của cuộc thi này mới thực hiện được thao tác này."
ROLE_NAMES = {"operator": "Quản trị hệ thống", "organiser": "Ban Tổ chức", "coordinator": "Cán bộ đầu mối"}


@dataclass
class Staff:
    """The visitor and what their grants allow to be shown."""

    who: Visitor
    principal: Principal

    def organises(self, contest_id: str | None = None) -> bool:
        return self.principal.organises(contest_id)

    @property
    def coordinated_units(self) -> list[str]:
        """The units whose subtrees a coordinator looks after (none for organisers and operators)."""
        return [g.unit for g in self.principal.grants if g.role == "coordinator" and g.unit]

    @property
    def roles(self) -> list[str]:
        described = []
        for g in self.principal.grants:
            scope = g.contest or g.unit or ""
            described.append(ROLE_NAMES[g.role] + (f" ({scope})" if scope else ""))
        return described


def principal_of(who: Visitor) -> Principal:
    """What the visitor's verified token grants; nothing for a visitor without one."""
    return who.principal or Principal("", "")


async def staff_or_refusal(request: Request) -> Staff | Response:
    """The staff member behind the request; anyone else is sent to log in, or told, in Vietnamese, why not."""
    who = await session.visitor(request)
    if not who.logged_in:
        return render.redirect(who, render.login_url(request.url.path))
    principal = principal_of(who)
    if not principal.grants:
        return forbidden(request, who, STAFF_ONLY)
    return Staff(who, principal)


def forbidden(request: Request, who: Visitor, message: str) -> Response:
    return render.page(request, who, "admin_forbidden.html", 403, message=message)


def in_scope(units: list[dict[str, Any]], staff: Staff) -> list[dict[str, Any]]:
    """The unit tree (in tree order) as far as the person looks after it: all of it for organisers and
    operators, each coordinated unit's subtree for a coordinator."""
    if staff.organises():
        return units
    roots = set(staff.coordinated_units)
    inside: set[str] = set()
    kept = []
    for unit in units:
        if unit["code"] in roots or (unit.get("parent_code") or "") in inside:
            inside.add(unit["code"])
            kept.append(unit)
    return kept


def top_units(units: list[dict[str, Any]]) -> list[str]:
    """The highest units of a scoped tree: where the statistics start."""
    codes = {u["code"] for u in units}
    return [u["code"] for u in units if (u.get("parent_code") or "") not in codes]
