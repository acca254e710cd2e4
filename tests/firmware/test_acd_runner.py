"""The daemon's ACD runner with the real engine: offers reach the call's flow,
wrap-up is timed by the engine's own deadline, and the trace replays."""
import asyncio

from acd_core import acd
from acd_core.acd import trace
from acd_core.clock import ManualClock

from firmware.events import EventBus
from firmware.flows.acd_runner import AcdRunner
from firmware.store import Queue, Seat

HA1 = "0" * 32


def run(coro):  # type: ignore[no-untyped-def]
    return asyncio.run(coro)


def test_offer_reaches_the_waiting_call_only_once_the_seat_is_registered() -> None:
    async def scenario() -> None:
        bus = EventBus()
        clock = ManualClock(start=100.0)
        runner = AcdRunner(bus, clock)
        runner.configure([Queue(name="support")],
                         [Seat(extension="201", ha1=HA1, queues={"support": 0})])
        waiting = runner.enqueue("c1", "support")
        assert waiting.offers.empty()          # logged in, but not registered yet
        runner.set_reachable("201", True)
        offer = waiting.offers.get_nowait()
        assert isinstance(offer, acd.Offer)
        assert (offer.call, offer.agent, offer.queue) == ("c1", "201", "support")
        runner.offer_accepted("c1", "201")
        clock.advance(60.0)
        runner.call_ended("c1", "201")
        second = runner.enqueue("c2", "support")
        assert second.offers.empty()           # 201 is in its 5 s wrap-up
        assert runner.engine.next_deadline() == 165.0
        runner.close()

    run(scenario())


def test_wrap_up_ends_on_the_engines_deadline_and_the_next_call_is_offered() -> None:
    async def scenario() -> acd.Offer:
        bus = EventBus()
        clock = ManualClock()
        runner = AcdRunner(bus, clock)          # the engine's tick is a timer on this clock
        runner.configure([Queue(name="support", wrapup_s=5)],
                         [Seat(extension="201", ha1=HA1, queues={"support": 0})])
        runner.set_reachable("201", True)
        first = runner.enqueue("c1", "support")
        offer = first.offers.get_nowait()
        runner.offer_accepted("c1", offer.agent)
        second = runner.enqueue("c2", "support")
        runner.call_ended("c1", "201")
        clock.advance(4.9)
        assert second.offers.empty()            # still in wrap-up
        clock.advance(0.1)                      # the 5 s wrap-up ends: the tick fires
        got = second.offers.get_nowait()
        runner.close()
        return got

    offer = run(scenario())
    assert (offer.call, offer.agent) == ("c2", "201")


def test_the_published_trace_replays_to_the_same_decisions() -> None:
    async def scenario() -> list[dict]:
        bus = EventBus()
        lines: list[dict] = []
        bus.subscribe("acd.trace", lambda e: lines.append(e.data))
        clock = ManualClock()
        runner = AcdRunner(bus, clock)
        runner.configure([Queue(name="support"), Queue(name="sales")],
                         [Seat(extension="201", ha1=HA1, queues={"support": 0}),
                          Seat(extension="202", ha1=HA1, queues={"sales": 0, "support": 1})])
        for agent in ("201", "202"):
            runner.set_reachable(agent, True)
        for i, q in enumerate(["support", "support", "sales"]):
            clock.advance(1.0 if i else 0.0)
            runner.enqueue(f"c{i}", q)
        clock.advance(3.0)
        runner.offer_failed("c0", "201", timed_out=True)
        runner.abandon("c2")
        runner.close()
        return lines

    lines = run(scenario())
    text = [trace.dumps(line) for line in lines]
    assert trace.check(text) == []
    assert sum(1 for line in lines if line["dir"] == "out" and line["type"] == "Offer") >= 2


def test_queues_edited_while_running_are_added_or_updated_and_the_trace_still_replays() -> None:
    async def scenario() -> tuple[list[dict], list[str], list[str], list[acd.Overflow]]:
        from firmware.store.inbound import QueueRules
        bus = EventBus()
        lines: list[dict] = []
        bus.subscribe("acd.trace", lambda e: lines.append(e.data))
        clock = ManualClock()
        runner = AcdRunner(bus, clock)
        runner.configure([Queue(name="support", max_wait_s=120)],
                         [Seat(extension="201", ha1=HA1, queues={"support": 0})])
        waiting = runner.enqueue("c1", "support")      # 201 is not reachable: it waits
        clock.advance(40.0)
        edited = [Queue(name="support", max_wait_s=30), Queue(name="sales")]
        rules = {"support": QueueRules("support", overflow="voicemail:general")}
        changed = runner.apply_queues(edited, rules)
        again = runner.apply_queues(edited, rules)
        clock.advance(0.0)                             # the re-armed deadline is due now
        out = []
        while not waiting.offers.empty():
            out.append(waiting.offers.get_nowait())
        assert runner.rules("support") == rules["support"]
        runner.close()
        return lines, changed, again, out

    lines, changed, again, out = run(scenario())
    assert changed == ["support"] and again == []
    assert [(d.call, d.target, d.why, d.waited) for d in out] == [
        ("c1", "voicemail:general", "max-wait", 40.0)]
    assert [line["name"] for line in lines if line["type"] == "QueueSpec"] == [
        "support", "sales", "support"]
    assert trace.check([trace.dumps(line) for line in lines]) == []
