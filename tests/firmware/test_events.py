from acd_core.clock import ManualClock
from firmware.events import Event, EventBus


def test_subscribers_get_matching_events_in_order_with_sequence_numbers() -> None:
    bus = EventBus(ManualClock(wall_at_zero=1000.0))
    seen: list[Event] = []
    bus.subscribe("call.", seen.append)
    bus.publish("call.started", call="c1")
    bus.publish("agent.state", agent="201")
    bus.publish("call.ended", call="c1", disposition="answered")
    assert [(e.kind, e.seq) for e in seen] == [("call.started", 1), ("call.ended", 3)]
    assert seen[1].to_dict() == {"seq": 3, "kind": "call.ended", "ts": 1000.0,
                                 "call": "c1", "disposition": "answered"}


def test_a_failing_subscriber_does_not_stop_the_others() -> None:
    bus = EventBus()
    seen: list[str] = []

    def broken(event: Event) -> None:
        raise RuntimeError("boom")

    bus.subscribe("", broken)
    bus.subscribe("", lambda e: seen.append(e.kind))
    bus.publish("x.y")
    assert seen == ["x.y"]


def test_queues_feed_threads_and_can_be_closed() -> None:
    bus = EventBus()
    q = bus.open_queue("call.")
    bus.publish("call.started", call="c1")
    bus.publish("seat.registered", seat="201")
    assert q.get_nowait().data == {"call": "c1"}
    assert q.empty()
    bus.close_queue(q)
    bus.publish("call.ended", call="c1")
    assert q.empty()


def test_unsubscribe() -> None:
    bus = EventBus()
    seen: list[str] = []
    off = bus.subscribe("", lambda e: seen.append(e.kind))
    bus.publish("a")
    off()
    bus.publish("b")
    assert seen == ["a"]
