"""Post-call surveys: questionnaires answered with keypad digits, stored against the call.

A question maps digits to answers (``{"1": "satisfied", "2": "neutral",
"3": "unsatisfied"}``). The survey flow records each answer with the call id
and the caller's number; the CRM resolves the customer from the number at
that moment, so the answer shows on the customer's timeline.
"""
from __future__ import annotations

import json
import re
from typing import Any

from firmware.store import fields as f
from firmware.store.db import Database, NotFound, ValidationError, only_row

_DIGIT = re.compile(r"^[0-9*#]$")


class Surveys:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def put(self, name: str, questions: list[dict[str, Any]], active: bool = True
                  ) -> dict[str, Any]:
        name = f.name("survey.name", name)
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
            checked.append((text, {k: f.text(f"survey.questions[{i}].choices.{k}", v, 64,
                                              required=True) for k, v in choices.items()}))
        async with self._db.transaction("surveys.put") as conn:
            async with conn.execute("INSERT INTO surveys (name, active) VALUES (?, ?) ON CONFLICT"
                                    "(name) DO UPDATE SET active = excluded.active RETURNING id",
                                    (name, int(f.boolean("survey.active", active)))) as cur:
                sid = int((await only_row(cur, "surveys.put"))[0])
            await conn.execute("DELETE FROM survey_questions WHERE survey_id = ?", (sid,))
            await conn.executemany(
                "INSERT INTO survey_questions (survey_id, position, text, choices)"
                " VALUES (?, ?, ?, ?)",
                [(sid, i, t, json.dumps(c, ensure_ascii=False)) for i, (t, c) in enumerate(checked)])
        return await self.get(name)

    async def get(self, name: str) -> dict[str, Any]:
        row = await self._db.fetchone("SELECT * FROM surveys WHERE name = ?", (name,))
        if row is None:
            raise NotFound("no such survey", table="surveys", key=name)
        qs = await self._db.fetchall("SELECT * FROM survey_questions WHERE survey_id = ?"
                                     " ORDER BY position", (row["id"],))
        return {"name": row["name"], "active": bool(row["active"]),
                "questions": [{"text": q["text"], "choices": json.loads(q["choices"])}
                              for q in qs]}

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
