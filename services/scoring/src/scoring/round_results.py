"""Announcing rounds' outcomes: RoundResultsPublished, once a round's final ranking and prizes are
known, and again (revision 2, 3...) whenever a recomputation changes them: a late attempt, a
corrected key, changed award rules, or, with one prize per contest, a change in an earlier round.

Called inside the awards' transaction, so an outcome and its announcement commit together.
Notify tells participants; exam invites a qualifier's winners to the finals that name it.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime

import asyncpg

from contracts import RoundResultsPublished, wrap
from contracts.events import PrizeWinner
from contracts.topics import ROUND_RESULTS
from kit import outbox


async def publish_changed(conn: asyncpg.Connection, contest_id: str, round_ids: list[str]) -> list[str]:
    """Publish the outcome of each given round whose winners or true number changed; returns those rounds."""
    published = []
    for round_id in round_ids:
        rnd = await conn.fetchrow("SELECT title, true_number FROM rounds WHERE id = $1", round_id)
        winners = [PrizeWinner(participant_id=r["participant_id"], prize=r["tier"], rank=r["rank"])
                   for r in await conn.fetch("SELECT participant_id, tier, rank FROM round_prizes WHERE round_id = $1"
                                             " ORDER BY rank, participant_id", round_id)]
        outcome = {"true_number": rnd["true_number"], "winners": [w.model_dump() for w in winners]}
        fingerprint = hashlib.sha256(json.dumps(outcome, sort_keys=True).encode()).hexdigest()
        last = await conn.fetchrow("SELECT revision, fingerprint FROM published_round_results WHERE round_id = $1",
                                   round_id)
        if last is not None and last["fingerprint"] == fingerprint:
            continue
        revision = 1 if last is None else last["revision"] + 1
        await conn.execute(
            "INSERT INTO published_round_results (round_id, revision, fingerprint) VALUES ($1, $2, $3)"
            " ON CONFLICT (round_id) DO UPDATE SET revision = EXCLUDED.revision, fingerprint = EXCLUDED.fingerprint,"
            " published_at = now()", round_id, revision, fingerprint)
        ranked = await conn.fetchval("SELECT count(*) FROM final_rankings WHERE round_id = $1", round_id)
        event = RoundResultsPublished(
            round_id=round_id, contest_id=contest_id, round_title=rnd["title"], revision=revision, ranked=ranked,
            true_number=rnd["true_number"] or 0, winners=winners, published_at=datetime.now(UTC))
        await outbox.add(conn, ROUND_RESULTS.name, wrap(event, round_id, "scoring"))
        published.append(round_id)
    return published
