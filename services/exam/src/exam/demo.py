"""Seed the demo contest: a 2024-style contest on digital transformation and administrative reform.

Idempotent: a contest that exists is left as it is, so data survives between runs; only when its
official rounds have all closed (the demo's data was kept for more than a week) is the next weekly
round added, so that the demo always has a round to take.
"""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from importlib import resources

import asyncpg

from exam import contests
from exam.settings import ExamSettings
from kit import db

CONTEST_ID = "cds-cchc-2024"
TITLE = "Hội thi trực tuyến tìm hiểu về Chuyển đổi số và Cải cách hành chính"
DESCRIPTION = (
    "Hội thi hưởng ứng Ngày Chuyển đổi số quốc gia 10/10, dành cho cán bộ, công chức, viên chức, "
    "người lao động và nhân dân trên địa bàn tỉnh. Mỗi lượt thi gồm các câu hỏi trắc nghiệm chọn ngẫu nhiên "
    "và một câu hỏi dự đoán số người trả lời đúng tất cả các câu hỏi."
)


def demo_questions() -> list[dict[str, object]]:
    return json.loads(resources.files("exam").joinpath("data/questions.json").read_text(encoding="utf-8"))


async def seed_contest(conn: asyncpg.Connection, at: datetime) -> bool:
    """Create and publish the demo contest; False if it was already there."""
    if await conn.fetchval("SELECT 1 FROM contests WHERE id = $1", CONTEST_ID):
        return False
    async with conn.transaction():
        await conn.execute("INSERT INTO contests (id, title, description, organiser) VALUES ($1, $2, $3, $4)",
                           CONTEST_ID, TITLE, DESCRIPTION, "Sở Thông tin và Truyền thông (bản demo)")
        await conn.executemany(
            "INSERT INTO questions (id, contest_id, code, topic, difficulty, text, options, correct, source)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            [("q-" + str(q["code"]).lower(), CONTEST_ID, q["code"], q["topic"], q["difficulty"], q["text"],
              q["options"], q["correct"], q["source"]) for q in demo_questions()])
        # The bank's first version, as an import would record it: new rounds draw from it, and the
        # next import becomes version 2.
        await conn.execute("INSERT INTO bank_versions (contest_id, version, imported_by, filename, question_count)"
                           " VALUES ($1, 1, 'demo', 'questions.json', $2)", CONTEST_ID, len(demo_questions()))
        rounds = [
            ("thi-thu", 1, "Thi thử", "practice", at - timedelta(days=1), at + timedelta(days=60), 10, 600, 50),
            ("tuan-1", 2, "Vòng 1 (tuần 1)", "official", at - timedelta(hours=1), at + timedelta(days=7), 20, 900, 3),
        ]
        await conn.executemany(
            "INSERT INTO rounds (id, contest_id, position, title, kind, opens_at, closes_at,"
            " questions_per_attempt, time_limit_s, attempts_allowed) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10)",
            [(f"{CONTEST_ID}-{rid}", CONTEST_ID, *rest) for rid, *rest in rounds])
        await contests.publish_contest(conn, CONTEST_ID)
        for rid, *_ in rounds:
            await contests.publish_round(conn, f"{CONTEST_ID}-{rid}")
    return True


async def open_next_round(conn: asyncpg.Connection, at: datetime) -> str | None:
    """Add and publish the next weekly round when no official round is open or to come; its id, or None."""
    async with conn.transaction():
        # Serialises two launchers on one database, so a week gets one round, not two.
        await conn.execute("SELECT 1 FROM contests WHERE id = $1 FOR UPDATE", CONTEST_ID)
        latest = await conn.fetchrow(
            "SELECT max(position) AS position, max(closes_at) FILTER (WHERE kind = 'official') AS closes_at,"
            " count(*) FILTER (WHERE kind = 'official') AS official FROM rounds WHERE contest_id = $1", CONTEST_ID)
        if latest["position"] is None or (latest["closes_at"] is not None and latest["closes_at"] > at):
            return None
        week = latest["official"] + 1
        while await conn.fetchval("SELECT 1 FROM rounds WHERE id = $1", f"{CONTEST_ID}-tuan-{week}"):
            week += 1  # an organiser named a round this way already
        bank = await conn.fetchval("SELECT max(version) FROM bank_versions WHERE contest_id = $1", CONTEST_ID)
        round_id = f"{CONTEST_ID}-tuan-{week}"
        await conn.execute(
            "INSERT INTO rounds (id, contest_id, position, title, kind, opens_at, closes_at,"
            " questions_per_attempt, time_limit_s, attempts_allowed, bank_version)"
            " VALUES ($1, $2, $3, $4, 'official', $5, $6, 20, 900, 3, $7)",
            round_id, CONTEST_ID, latest["position"] + 1, f"Vòng {week} (tuần {week})",
            at - timedelta(hours=1), at + timedelta(days=7), bank or 1)
        await contests.publish_round(conn, round_id)
    return round_id


async def seed(settings: ExamSettings) -> str:
    """What the launcher prints: the demo contest created, kept, or given its next round."""
    pool = await db.create_pool(settings.database_url, 2)
    try:
        await db.migrate(pool, ["kit", "exam"])
        async with pool.acquire() as conn:
            at = datetime.now(UTC)
            if await seed_contest(conn, at):
                return "demo contest created"
            added = await open_next_round(conn, at)
            return f"demo contest already in place; round {added} added" if added else "demo contest already in place"
    finally:
        await pool.close()


def main() -> None:
    print(f"exam: {asyncio.run(seed(ExamSettings()))}")
