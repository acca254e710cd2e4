"""Every delay and timeout of the daemon, in one table with its unit and reason.

Protocol timers of the line stacks (Q.921/Q.931, MFC-R2, analog) live in their
own tables beside their state machines; per-queue and per-menu times (ring
timeout, IVR digit timeout, wrap-up) are data in the database. Everything else
the daemon waits for is here, read as ``TIMERS["media.hello_timeout"]``.
"""
from __future__ import annotations

from acd_core.timers import TimerSpec, TimerTable

TIMERS = TimerTable(
    # seats
    TimerSpec("edge.registration_poll", 2.0, "s",
              "how often seat registrations are read from Kamailio's location table", 0.2, 60),
    # Kamailio edge
    TimerSpec("edge.ready_timeout", 10.0, "s",
              "a started Kamailio must answer on its RPC socket within this", 1, 120),
    TimerSpec("edge.stop_timeout", 5.0, "s",
              "SIGTERM grace before Kamailio's process group is killed", 0.5, 60),
    TimerSpec("edge.term_group_after", 0.5, "s",
              "Kamailio still running this long after SIGTERM: SIGTERM to every process "
              "of its group", 0.1, 10),
    TimerSpec("edge.reload_retry", 3.0, "s",
              "how long a table reload refused as 'ongoing' is retried", 1, 30),
    TimerSpec("edge.rpc_timeout", 2.0, "s", "one JSON-RPC call to Kamailio", 0.1, 30),
    # supervision of Kamailio and media nodes (firmware/supervision.py)
    TimerSpec("supervision.restart_delay", 0.2, "s",
              "a child that died is started again after this", 0, 10),
    TimerSpec("supervision.crash_limit", 5, "count",
              "this many deaths within the crash window is a crash loop (alarm)", 2, 100),
    TimerSpec("supervision.crash_window", 60.0, "s",
              "the window over which deaths are counted", 5, 3600),
    TimerSpec("supervision.slow_restart", 10.0, "s",
              "restart pace while a child crash-loops", 1, 600),
    # media nodes
    TimerSpec("media.hello_timeout", 15.0, "s",
              "a started media node must connect and say hello within this", 1, 120),
    TimerSpec("media.command_timeout", 10.0, "s",
              "a media node must answer one control command within this", 0.5, 60),
    TimerSpec("media.record_timeout", 10.0, "s",
              "a stopped recording must be final (header written) within this", 1, 120),
    TimerSpec("media.idle_retire", 300.0, "s",
              "a node above nodes_min with no legs for this long is stopped", 1, 86_400),
    TimerSpec("media.placement_hold", 8.0, "s",
              "room reserved for a placed call until its INVITE reaches the node", 1, 60),
    TimerSpec("media.placement_wait", 1.5, "s",
              "a call finding no room waits this long for a node that is starting", 0, 10),
    TimerSpec("media.probe_timeout", 1.0, "s",
              "a node reported unresponsive must answer a status probe within this", 0.2, 10),
    TimerSpec("media.stop_grace", 5.0, "s",
              "SIGTERM grace before a media node is killed", 0.5, 60),
    TimerSpec("media.grave", 0.5, "s",
              "a released pjsua2 object waits this long in the node before it is destroyed", 0.05, 10),
    TimerSpec("media.finalize", 3.0, "s",
              "a destroyed recorder may take this long to complete its WAV header", 0.5, 60),
    # the agent desk (firmware/cti)
    TimerSpec("desk.transfer_ring", 30.0, "s",
              "a transfer or conference party rings this long before it counts as no answer",
              5, 300),
    TimerSpec("desk.seat_ring", 30.0, "s",
              "click-to-call and a supervisor's action ring the seat this long", 5, 300),
    TimerSpec("desk.code_answer", 3.0, "s",
              "a feature code's confirmation tone plays at most this long before hang-up",
              0.5, 30),
    TimerSpec("desk.dialer_tick", 5.0, "s",
              "the campaign dialer looks for due records and free agents this often",
              0.5, 600),
    # trunks (firmware/trunks/)
    TimerSpec("trunks.state_poll", 1.0, "s",
              "how often the SIP trunks' keep-alive and registration state is read from "
              "Kamailio", 0.2, 60),
    # storage (firmware/store/keeper.py)
    TimerSpec("storage.check", 2.0, "s",
              "free space and a real write on var/ are checked this often", 0.5, 60),
    TimerSpec("storage.retry", 2.0, "s",
              "a record that could not be written is tried again after this", 0.2, 60),
    # inbound call flows (per-queue and per-menu times are data in the database)
    TimerSpec("flow.prompt_max", 300.0, "s",
              "a prompt that never reports its end is given up after this", 10, 3600),
    TimerSpec("flow.seat_ring_timeout", 30.0, "s",
              "a call routed straight to a seat rings it this long", 5, 300),
    TimerSpec("flow.forward_ring_timeout", 45.0, "s",
              "a call forwarded outside rings the far end this long", 5, 300),
    TimerSpec("flow.callback_offer_window", 10.0, "s",
              "after the callback offer, the caller has this long to press its key", 2, 60),
    TimerSpec("flow.survey_digit_timeout", 6.0, "s",
              "a survey question waits this long for a key after it was asked", 2, 60),
    TimerSpec("flow.callback_agent_ring", 20.0, "s",
              "a callback rings its reserved agent this long", 5, 120),
    TimerSpec("flow.callback_customer_ring", 40.0, "s",
              "a callback rings the customer this long before it counts as no answer", 5, 300),
    # listen addresses changed from the system page (firmware/listen_change.py)
    TimerSpec("system.listen_confirm", 120.0, "s",
              "a new listen address must be confirmed from that address within this, or the "
              "box goes back to the previous one ([web] listen_confirm_s)", 5, 900),
    TimerSpec("system.answer_grace", 1.0, "s",
              "a web server left behind by a listen change, or the daemon stopping for a "
              "restore asked on the system page, keeps serving this long, so the answer to "
              "that request gets out", 0.1, 10),
    # web API
    TimerSpec("api.call_timeout", 5.0, "s",
              "a web request waits this long for the daemon loop before answering 503", 0.5, 60),
)
