"""Run-time configuration: round trips, validation naming the field, atomic rejects."""
from __future__ import annotations

from pathlib import Path

import pytest

from firmware.store import Did, InUse, IvrMenu, NotFound, Queue, Seat, Trunk, ValidationError
from tests.store.support import opened

HA1 = "5f4dcc3b5aa765d61d8327deb882cf99"


async def seed(store) -> None:  # type: ignore[no-untyped-def]
    await store.config.put_trunk(Trunk("demo", ("127.0.0.0/8",)))
    await store.config.put_queue(Queue("support", "leastrecent", 5, 20, 300, 20, "moh/jazz.wav"))
    await store.config.put_queue(Queue("sales", "ringall"))
    await store.config.put_ivr(IvrMenu("main", "ivr/main.wav", "press 1 for support, 2 for sales",
                                       5, 2, {"1": "support", "2": "sales"}))
    await store.config.put_seat(Seat("201", HA1, "Support seat", {"support": 1}))
    await store.config.put_seat(Seat("202", HA1, "Sales seat", {"sales": 2, "support": 5}))
    await store.config.put_did(Did("100", "ivr", "main", "demo"))


async def test_every_config_object_round_trips(tmp_path: Path) -> None:
    async with opened(tmp_path) as store:
        await seed(store)
        cfg = store.config
        assert await cfg.trunks() == [Trunk("demo", ("127.0.0.0/8",), "sip-ip", True)]
        assert await cfg.trunk_sources() == [("127.0.0.0/8", "demo")]
        # Asterisk's names are stored as the ACD engine's
        assert await cfg.queue("support") == Queue("support", "longest-idle", 5, 20, 300, 20,
                                                   "moh/jazz.wav")
        assert (await cfg.queue("sales")).strategy == "ring-all"
        assert [q.name for q in await cfg.queues()] == ["sales", "support"]
        assert await cfg.ivr_menu("main") == IvrMenu(
            "main", "ivr/main.wav", "press 1 for support, 2 for sales", 5, 2,
            {"1": "support", "2": "sales"})
        assert await cfg.seat("202") == Seat("202", HA1, "Sales seat", {"sales": 2, "support": 5})
        assert await cfg.did("100") == Did("100", "ivr", "main", "demo")


async def test_put_replaces_the_object_and_its_children(tmp_path: Path) -> None:
    async with opened(tmp_path) as store:
        await seed(store)
        await store.config.put_trunk(Trunk("demo", ("10.0.0.0/8", "192.0.2.0/24"), enabled=False))
        await store.config.put_seat(Seat("201", HA1, "Moved", {"sales": 1}))
        assert await store.config.trunks() == [
            Trunk("demo", ("10.0.0.0/8", "192.0.2.0/24"), "sip-ip", False)]
        assert await store.config.trunk_sources() == []       # disabled trunks trust nothing
        assert (await store.config.seat("201")).queues == {"sales": 1}
        # the DID still points at the same trunk row after the trunk was replaced
        assert (await store.config.did("100")).trunk == "demo"


@pytest.mark.parametrize("obj, field", [
    (Seat("20a", HA1), "seat.extension"),
    (Seat("201", "not-a-hash"), "seat.ha1"),
    (Seat("201", HA1, queues={"support": 100}), "seat.queues.support"),
    (Seat("201", HA1, queues={"support": -1}), "seat.queues.support"),
    (Trunk("demo", ("10.1.2.3/8",)), "trunk.sources[0]"),
    (Trunk("demo", ("example.com",)), "trunk.sources[0]"),
    (Trunk("demo", ()), "trunk.sources"),
    (Trunk("Demo Trunk", ("10.0.0.0/8",)), "trunk.name"),
    (Queue("support", strategy="best"), "queue.strategy"),
    (Queue("support", ring_timeout_s=0), "queue.ring_timeout_s"),
    (Queue("support", moh_file="../../etc/passwd"), "queue.moh_file"),
    (IvrMenu("main", "ivr/main.wav", options={"x": "support"}), "ivr.options"),
    (IvrMenu("main", "/abs/path.wav"), "ivr.prompt_file"),
    (IvrMenu("main", "ivr/main.wav", timeout_s=True), "ivr.timeout_s"),
    (Did("1OO", "ivr", "main"), "did.number"),
    (Did("100", "voicemail", "main"), "did.target_kind"),
])
async def test_a_bad_value_raises_an_error_naming_the_field(tmp_path: Path, obj: object,
                                                            field: str) -> None:
    async with opened(tmp_path) as store:
        put = {Seat: store.config.put_seat, Trunk: store.config.put_trunk,
               Queue: store.config.put_queue, IvrMenu: store.config.put_ivr,
               Did: store.config.put_did}[type(obj)]
        with pytest.raises(ValidationError) as err:
            await put(obj)
        assert err.value.field == field
        assert str(err.value).startswith(f"{field}: expected ")


async def test_every_acd_strategy_is_accepted(tmp_path: Path) -> None:
    from acd_core.acd.model import STRATEGIES
    async with opened(tmp_path) as store:
        for strategy in STRATEGIES:
            await store.config.put_queue(Queue("q", strategy))
            assert (await store.config.queue("q")).strategy == strategy


async def test_a_ha1_error_does_not_echo_the_secret(tmp_path: Path) -> None:
    async with opened(tmp_path) as store:
        with pytest.raises(ValidationError) as err:
            await store.config.put_seat(Seat("201", "secret-ish-value"))
        assert "secret-ish-value" not in str(err.value)


async def test_a_rejected_write_leaves_existing_rows_intact(tmp_path: Path) -> None:
    async with opened(tmp_path) as store:
        await seed(store)
        before = (await store.config.seats(), await store.config.ivr_menus(),
                  await store.config.dids())
        # references to things that do not exist are found inside the transaction
        with pytest.raises(ValidationError) as err:
            await store.config.put_seat(Seat("201", HA1, "Changed", {"support": 1, "nosuch": 1}))
        assert err.value.field == "seat.queues.nosuch"
        with pytest.raises(ValidationError) as err:
            await store.config.put_ivr(IvrMenu("main", "ivr/other.wav", options={"9": "nosuch"}))
        assert err.value.field == "ivr.options.9"
        with pytest.raises(ValidationError) as err:
            await store.config.put_did(Did("100", "queue", "nosuch"))
        assert err.value.field == "did.target"
        with pytest.raises(ValidationError) as err:
            await store.config.put_did(Did("100", "seat", "201", trunk="other"))
        assert err.value.field == "did.trunk"
        after = (await store.config.seats(), await store.config.ivr_menus(),
                 await store.config.dids())
        assert after == before


async def test_deleting_something_in_use_is_refused(tmp_path: Path) -> None:
    async with opened(tmp_path) as store:
        await seed(store)
        with pytest.raises(InUse) as err:
            await store.config.delete("queue", "support")
        assert err.value.key == "support"
        assert await store.config.queue("support") is not None
        with pytest.raises(InUse):
            await store.config.delete("ivr", "main")
        await store.config.delete("did", "100")
        await store.config.delete("ivr", "main")
        await store.config.delete("queue", "support")      # memberships go with it
        assert (await store.config.seat("202")).queues == {"sales": 2}
        with pytest.raises(NotFound):
            await store.config.delete("seat", "999")
        with pytest.raises(ValidationError):
            await store.config.delete("voicemail", "x")


async def test_did_targets_of_each_kind(tmp_path: Path) -> None:
    async with opened(tmp_path) as store:
        await seed(store)
        await store.config.put_did(Did("+4930123", "queue", "sales"))
        await store.config.put_did(Did("201", "seat", "201"))
        assert await store.config.dids() == [
            Did("+4930123", "queue", "sales", None), Did("100", "ivr", "main", "demo"),
            Did("201", "seat", "201", None)]
