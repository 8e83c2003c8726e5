"""Announcement templates kept per contest, in Vietnamese, for organisers to start from."""

from __future__ import annotations

import asyncpg

from kit.auth import FORBIDDEN, Principal
from kit.errors import Problem
from notify.schemas import TemplateBody

# What every contest starts with: the messages organisers send each week.
STARTERS = {
    "nhac-lam-bai": TemplateBody(
        title="Nhắc tham gia {vong_thi}",
        body="Chào {ho_ten},\n{vong_thi} của {cuoc_thi} sẽ kết thúc lúc {han_chot}. Bạn chưa tham gia vòng này; "
             "hãy dành ít phút làm bài trước thời hạn."),
    "cong-bo-ket-qua": TemplateBody(
        title="Kết quả {vong_thi}",
        body="Chào {ho_ten},\nBan Tổ chức đã công bố kết quả {vong_thi} của {cuoc_thi}. "
             "Mời bạn vào trang thi để xem thứ hạng và danh sách đoạt giải."),
}


def _organiser_only(by: Principal, contest_id: str) -> None:
    if not by.organises(contest_id):
        raise FORBIDDEN


async def listing(conn: asyncpg.Connection, by: Principal, contest_id: str) -> list[dict[str, object]]:
    """The contest's own templates, then the starters it has not replaced."""
    # Coordinators compose for their units in any contest; an organiser, only in their own.
    if not (by.organises(contest_id) or any(g.role == "coordinator" for g in by.grants)):
        raise FORBIDDEN
    own = {r["name"]: dict(r) for r in await conn.fetch(
        "SELECT name, title, body, updated_at FROM templates WHERE contest_id = $1 ORDER BY name", contest_id)}
    starters = [{"name": name, "title": t.title, "body": t.body, "updated_at": None}
                for name, t in STARTERS.items() if name not in own]
    return list(own.values()) + starters


async def save(conn: asyncpg.Connection, by: Principal, contest_id: str, name: str, template: TemplateBody) -> None:
    _organiser_only(by, contest_id)
    await conn.execute(
        "INSERT INTO templates (contest_id, name, title, body, updated_by) VALUES ($1, $2, $3, $4, $5)"
        " ON CONFLICT (contest_id, name) DO UPDATE SET title = EXCLUDED.title, body = EXCLUDED.body,"
        " updated_by = EXCLUDED.updated_by, updated_at = now()",
        contest_id, name, template.title, template.body, by.participant_id)


async def delete(conn: asyncpg.Connection, by: Principal, contest_id: str, name: str) -> None:
    _organiser_only(by, contest_id)
    status = await conn.execute("DELETE FROM templates WHERE contest_id = $1 AND name = $2", contest_id, name)
    if status.endswith(" 0"):
        raise Problem(404, "template_not_found", "Không tìm thấy mẫu thông báo.")
