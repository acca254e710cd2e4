"""Post-call surveys: questionnaires answered with keypad digits, stored against the call.

A question maps digits to answers (``{"1": "satisfied", "2": "neutral",
"3": "unsatisfied"}``). The survey flow records each answer with the call id
and the caller's number; the CRM resolves the customer from the number at
that moment, so the answer shows on the customer's timeline.

The scale (migration 7): per question, ``scores`` (digit -> points; by default the
first digit listed scores highest: 1/2/3 -> 3/2/1) and ``satisfied`` (the digits that
count as satisfied for CSAT; by default the first one). A survey's ``language`` is the
voice its questions are spoken in. ``csat`` reports, per question and overall, the share
of satisfied answers (top-box CSAT) and the mean score, optionally per queue or agent.
"""
from __future__ import annotations

import json
import re
from typing import Any

from firmware.store import fields as f
from firmware.store.config import InUse
from firmware.store.db import Database, NotFound, ValidationError, only_row

_DIGIT = re.compile(r"^[0-9*#]$")


class Surveys:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def put(self, name: str, questions: list[dict[str, Any]], active: bool = True,
                  language: str = "en") -> dict[str, Any]:
        name = f.name("survey.name", name)
        language = f.choice("survey.language", language, ("en", "zh"))
        if not isinstance(questions, list) or not 1 <= len(questions) <= 20:
            raise ValidationError("survey.questions", "a list of 1-20 questions", questions)
        checked = []
        for i, q in enumerate(questions):
            text = f.text(f"survey.questions[{i}].text", q.get("text", ""), 500, required=True)
            choices = q.get("choices")
            if not isinstance(choices, dict) or not choices or not all(
                    isinstance(k, str) and _DIGIT.match(k) for k in choices):
                raise ValidationError(f"survey.questions[{i}].choices",
                                      "digits mapped to answers, like {\"1\": \"good\"}", choices)
            labels = {k: f.text(f"survey.questions[{i}].choices.{k}", v, 64, required=True)
                      for k, v in choices.items()}
            checked.append((text, labels, *_scale(i, q, list(labels))))
        async with self._db.transaction("surveys.put") as conn:
            async with conn.execute("INSERT INTO surveys (name, active, language) VALUES (?, ?, ?)"
                                    " ON CONFLICT(name) DO UPDATE SET active = excluded.active,"
                                    " language = excluded.language RETURNING id",
                                    (name, int(f.boolean("survey.active", active)),
                                     language)) as cur:
                sid = int((await only_row(cur, "surveys.put"))[0])
            await conn.execute("DELETE FROM survey_questions WHERE survey_id = ?", (sid,))
            await conn.executemany(
                "INSERT INTO survey_questions (survey_id, position, text, choices, scores,"
                " satisfied) VALUES (?, ?, ?, ?, ?, ?)",
                [(sid, i, t, json.dumps(c, ensure_ascii=False), json.dumps(sc),
                  json.dumps(sat)) for i, (t, c, sc, sat) in enumerate(checked)])
        return await self.get(name)

    async def get(self, name: str) -> dict[str, Any]:
        row = await self._db.fetchone("SELECT * FROM surveys WHERE name = ?", (name,))
        if row is None:
            raise NotFound("no such survey", table="surveys", key=name)
        qs = await self._db.fetchall("SELECT * FROM survey_questions WHERE survey_id = ?"
                                     " ORDER BY position", (row["id"],))
        out = []
        for i, q in enumerate(qs):
            choices = json.loads(q["choices"])
            scores, satisfied = _stored_scale(q, list(choices))
            out.append({"text": q["text"], "choices": choices, "scores": scores,
                        "satisfied": satisfied})
        queues = await self._db.fetchall(
            "SELECT q.name FROM queue_rules r JOIN queues q ON q.id = r.queue_id"
            " WHERE r.survey = ? ORDER BY q.name", (name,))
        return {"name": row["name"], "active": bool(row["active"]),
                "language": row["language"], "questions": out,
                "queues": [r[0] for r in queues]}

    async def delete(self, name: str) -> None:
        """Delete a questionnaire nobody answered yet and no queue plays. Answers are
        kept: a survey with answers is refused (switch it off instead), since deleting
        it would cascade to them and lose the CSAT history."""
        survey = await self.get(name)
        if survey["queues"]:
            raise InUse(f"survey {name!r} is still played by queue(s) "
                        f"{', '.join(survey['queues'])}", table="surveys", key=name)
        row = await self._db.fetchone(
            "SELECT COUNT(*) FROM survey_answers a JOIN surveys s ON s.id = a.survey_id"
            " WHERE s.name = ?", (name,))
        if row is not None and row[0]:
            raise InUse(f"survey {name!r} has {row[0]} answer(s); switch it off instead of"
                        " deleting it, so its results are kept", table="surveys", key=name)
        async with self._db.transaction("surveys.delete") as conn:
            await conn.execute("DELETE FROM surveys WHERE name = ?", (name,))

    async def list(self) -> list[dict[str, Any]]:
        return [await self.get(r[0]) for r in
                await self._db.fetchall("SELECT name FROM surveys ORDER BY name")]

    async def record(self, name: str, position: int, call_id: str, caller_number: str,
                     digit: str, customer_id: int | None) -> dict[str, Any]:
        """Store one keypad answer; a digit the question does not offer is refused."""
        row = await self._db.fetchone(
            "SELECT s.id, q.choices FROM surveys s JOIN survey_questions q ON q.survey_id = s.id"
            " WHERE s.name = ? AND q.position = ?", (name, position))
        if row is None:
            raise NotFound("no such survey question", table="survey_questions",
                           key=f"{name}#{position}")
        choices = json.loads(row["choices"])
        if digit not in choices:
            raise ValidationError("survey.digit", "one of " + ", ".join(sorted(choices)), digit)
        now = self._db.wall()
        async with self._db.transaction("surveys.record") as conn:
            await conn.execute(
                "INSERT INTO survey_answers (survey_id, position, call_id, customer_id,"
                " caller_number, digit, answer, ts) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (row["id"], position, f.text("call_id", call_id, 64, required=True), customer_id,
                 f.text("caller_number", caller_number, 64), digit, choices[digit], now))
        return {"survey": name, "position": position, "call_id": call_id, "digit": digit,
                "answer": choices[digit], "customer_id": customer_id, "ts": now}

    async def results(self, name: str, since: float | None = None, until: float | None = None
                      ) -> dict[str, Any]:
        survey = await self.get(name)
        rows = await self._db.fetchall(
            "SELECT a.position, a.answer, COUNT(*) AS n FROM survey_answers a JOIN surveys s"
            " ON s.id = a.survey_id WHERE s.name = ? AND a.ts >= ? AND a.ts < ?"
            " GROUP BY a.position, a.answer ORDER BY a.position, a.answer",
            (name, since if since is not None else 0.0, until if until is not None else 1e12))
        counts: dict[int, dict[str, int]] = {}
        for r in rows:
            counts.setdefault(r["position"], {})[r["answer"]] = r["n"]
        return {"name": name, "questions": [
            {"text": q["text"], "answers": {a: counts.get(i, {}).get(a, 0)
                                            for a in q["choices"].values()}}
            for i, q in enumerate(survey["questions"])]}

    async def csat(self, name: str, since: float | None = None, until: float | None = None,
                   by: str | None = None) -> dict[str, Any]:
        """Top-box CSAT (satisfied answers / answers) and mean score, per question and
        overall; ``by`` = ``queue`` or ``agent`` splits them by the call's CDR."""
        survey = await self.get(name)
        if by not in (None, "queue", "agent"):
            raise ValidationError("by", "queue, agent or nothing", by)
        group = f"coalesce(c.{by}, '')" if by else "''"
        rows = await self._db.fetchall(
            f"SELECT {group} AS grp, a.position, a.digit, COUNT(*) AS n FROM survey_answers a"
            " JOIN surveys s ON s.id = a.survey_id LEFT JOIN cdr c ON c.id = a.call_id"
            " WHERE s.name = ? AND a.ts >= ? AND a.ts < ? GROUP BY grp, a.position, a.digit",
            (name, since if since is not None else 0.0, until if until is not None else 1e12))
        qs = survey["questions"]
        groups: dict[str, dict[int, dict[str, int]]] = {}
        for r in rows:
            groups.setdefault(r["grp"], {}).setdefault(r["position"], {})[r["digit"]] = r["n"]

        def figures(counts: dict[int, dict[str, int]]) -> dict[str, Any]:
            per_q, total, happy, points = [], 0, 0, 0.0
            for i, q in enumerate(qs):
                c = counts.get(i, {})
                n = sum(c.values())
                sat = sum(v for d, v in c.items() if d in q["satisfied"])
                pts = sum(q["scores"].get(d, 0) * v for d, v in c.items())
                per_q.append({"text": q["text"], "answers": n, "satisfied": sat,
                              "csat": round(sat / n, 4) if n else None,
                              "mean_score": round(pts / n, 3) if n else None,
                              "by_digit": {d: c.get(d, 0) for d in q["choices"]}})
                total, happy, points = total + n, happy + sat, points + pts
            return {"answers": total, "satisfied": happy,
                    "csat": round(happy / total, 4) if total else None,
                    "mean_score": round(points / total, 3) if total else None,
                    "questions": per_q}
        out = {"name": name, "formula": "satisfied answers / answers (top-box); mean score"
               " of the answers", **figures(_merge(groups.values()))}
        if by:
            out["by"] = by
            out["groups"] = {g or "(none)": figures(c) for g, c in sorted(groups.items())}
        return out


def _merge(groups: Any) -> dict[int, dict[str, int]]:
    out: dict[int, dict[str, int]] = {}
    for counts in groups:
        for pos, c in counts.items():
            for d, n in c.items():
                out.setdefault(pos, {})[d] = out.setdefault(pos, {}).get(d, 0) + n
    return out


def _scale(i: int, q: dict[str, Any], digits: list[str]) -> tuple[dict[str, int], list[str]]:
    """A question's scores and satisfied digits, checked (defaults: first digit best)."""
    scores = q.get("scores")
    if scores is None:
        scores = {d: len(digits) - k for k, d in enumerate(digits)}
    if not isinstance(scores, dict) or set(scores) != set(digits) or not all(
            isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= 100
            for v in scores.values()):
        raise ValidationError(f"survey.questions[{i}].scores",
                              "a score 0-100 for every digit of the choices", scores)
    satisfied = q.get("satisfied")
    if satisfied is None:
        satisfied = [digits[0]]
    if not isinstance(satisfied, list) or not satisfied or not set(satisfied) <= set(digits):
        raise ValidationError(f"survey.questions[{i}].satisfied",
                              "a list of digits of the choices", satisfied)
    return dict(scores), sorted(satisfied)


def _stored_scale(row: Any, digits: list[str]) -> tuple[dict[str, int], list[str]]:
    scores = json.loads(row["scores"]) if row["scores"] else \
        {d: len(digits) - k for k, d in enumerate(digits)}
    satisfied = json.loads(row["satisfied"]) if row["satisfied"] else digits[:1]
    return scores, satisfied
