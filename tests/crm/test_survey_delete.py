"""Deleting a survey questionnaire: refused while a queue plays it or once it has answers
(deleting would cascade to the answers and lose the CSAT history); fine otherwise."""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from firmware.store import Queue
from firmware.store.config import InUse
from firmware.store.db import NotFound
from tests.crm.support import crm_opened
from tests.store.support import T0, call

CID = "0f8fad5b-d9cb-469f-a165-70867728950e"
Q = [{"text": "ok?", "choices": {"1": "yes", "2": "no"}}]


async def test_a_survey_in_use_or_answered_is_kept(tmp_path: Path) -> None:
    async with crm_opened(tmp_path) as crm:
        store = crm.store
        await crm.surveys.put("csat", Q)
        await store.config.put_queue(Queue(name="support"))
        rules = await store.inbound.queue_rules("support")
        await store.inbound.put_queue_rules(replace(rules, survey="csat"))
        assert (await crm.surveys.get("csat"))["queues"] == ["support"]
        with pytest.raises(InUse, match="played by queue.*support"):
            await crm.surveys.delete("csat")
        await store.inbound.put_queue_rules(replace(rules, survey=""))
        await store.cdr.insert(call(T0, id=CID))
        await crm.record_survey_answer("csat", 0, CID, "013812345678", "1")
        with pytest.raises(InUse, match="1 answer.*switch it off"):
            await crm.surveys.delete("csat")
        assert (await crm.surveys.results("csat"))["questions"][0]["answers"]["yes"] == 1
        await crm.surveys.put("spare", Q)
        await crm.surveys.delete("spare")
        assert [s["name"] for s in await crm.surveys.list()] == ["csat"]
        with pytest.raises(NotFound):
            await crm.surveys.delete("spare")
