"""The IVR engine: runs the trees the admin edits (``firmware.store.ivrtree``).

Each node does one thing and names where the call goes next: ``node:<id>`` stays in
the tree, anything else (a queue, a seat, a voicemail box, another IVR, hang up) is
returned to ``flows.inbound.follow``. Digits are accepted while a prompt plays
(barge-in), from RFC 4733 events or in-band tones alike (the channel merges both), and
keys pressed ahead of a prompt are kept (type-ahead). Every timeout runs on the injected
clock, so tests step through retries without waiting.

- ``menu``: play the prompt, take one key; an invalid key plays ``invalid`` (if set),
  silence plays ``no_input`` (if set), and the prompt is replayed up to ``retries``
  times; then ``fail`` (default ``hangup``, recorded as ``no-choice``).
- ``input``: collect ``min_digits``-``max_digits`` digits ending with the terminator
  (or when ``max_digits`` are in, or ``timeout_s`` after the last key); stored in the
  call's data under ``var``.
- ``lookup``: a customer or ticket number from the call's data, read back: a ticket's
  state and due date, a customer's open tickets; the number also feeds the screen pop.
- ``play``, ``set`` (language, data, priority), ``branch`` (on a variable),
  ``hours`` (a schedule open or closed).
"""
from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from typing import Any

from acd_core.clock import Clock
from firmware import speech
from firmware.clock import first
from firmware.flows.context import FlowContext
from firmware.flows.routing import CallState
from firmware.flows.say import play_through
from firmware.store import CallRecord
from firmware.store.ivrtree import IvrTree, Node
from firmware.telephony.channel import Channel

log = logging.getLogger("callbox.flows.ivr")

MAX_STEPS = 60          # node visits per tree run: a tree that loops for ever ends here


async def run(ctx: FlowContext, channel: Channel, rec: CallRecord, state: CallState,
              name: str) -> str | None:
    """Run tree ``name``; returns the target it leads out to, or None (caller left)."""
    tree = await ctx.store.inbound.ivr_tree(name)
    if tree is None:
        from firmware.errors import FlowError
        raise FlowError(f"target names a missing IVR {name!r}", call=rec.id, step="ivr",
                        menu=name)
    if state.hops <= 1:
        state.lang = tree.language
    node = tree.nodes[tree.start]
    for _ in range(MAX_STEPS):
        if channel.ended.done():
            return None
        ctx.bus.publish("ivr.node", call=rec.id, ivr=tree.name, node=node.id, type=node.type)
        target = await _STEP[node.type](ctx, channel, rec, state, tree, node)
        if target is None:
            return None
        if target.startswith("node:"):
            node = tree.nodes[target[5:]]
            continue
        return target
    log.warning("ivr loop call=%s ivr=%s", rec.id, tree.name)
    rec.failure_reason = f"IVR {tree.name} ran {MAX_STEPS} steps without leaving"
    return "hangup"


# -- digits --------------------------------------------------------------------------------
async def _key_or_prompt_end(clock: Clock, channel: Channel, after_prompt: float) -> str | None:
    """The first key while the prompt plays, or within ``after_prompt`` s after it ends."""
    digit_task = asyncio.ensure_future(channel.next_digit())
    done_task = asyncio.ensure_future(channel.wait_play_done())
    ended = channel.ended
    try:
        done = await first(clock, {digit_task, done_task, ended})
        if digit_task in done:
            return digit_task.result()
        if ended in done:
            return None
        done = await first(clock, {digit_task, ended}, after_prompt)
        return digit_task.result() if digit_task in done else None
    finally:
        for task in (digit_task, done_task):
            if not task.done():
                task.cancel()


async def _next_key(clock: Clock, channel: Channel, timeout: float) -> str | None:
    digit_task = asyncio.ensure_future(channel.next_digit())
    try:
        done = await first(clock, {digit_task, channel.ended}, timeout)
        return digit_task.result() if digit_task in done else None
    finally:
        if not digit_task.done():
            digit_task.cancel()


async def _prompt(ctx: FlowContext, channel: Channel, state: CallState, tree: IvrTree,
                  spec: Any) -> None:
    await channel.play(str(await ctx.prompts.spec(spec, state.lang, tree.language)))


async def _say(ctx: FlowContext, channel: Channel, state: CallState, tree: IvrTree,
               spec: Any) -> None:
    """An optional prompt (invalid, no input) played to its end."""
    if spec is not None and not channel.ended.done():
        await play_through(ctx.clock, channel,
                           await ctx.prompts.spec(spec, state.lang, tree.language))


# -- nodes ---------------------------------------------------------------------------------
async def _menu(ctx: FlowContext, channel: Channel, rec: CallRecord, state: CallState,
                tree: IvrTree, node: Node) -> str | None:
    options = node.spec["options"]
    retries = int(node.get("retries"))
    for attempt in range(retries + 1):
        if channel.ended.done():
            return None
        await _prompt(ctx, channel, state, tree, node.spec["prompt"])
        digit = await _key_or_prompt_end(ctx.clock, channel, float(node.get("timeout_s")))
        if digit is not None and not channel.ended.done():
            await channel.stop_play()
        if digit in options:
            log.info("ivr call=%s ivr=%s node=%s digit=%s target=%s", rec.id, tree.name,
                     node.id, digit, options[digit])
            ctx.bus.publish("ivr.choice", call=rec.id, ivr=tree.name, node=node.id,
                            digit=digit, target=options[digit])
            return options[digit]
        log.info("ivr call=%s ivr=%s node=%s attempt=%d digit=%s no-match", rec.id, tree.name,
                 node.id, attempt + 1, digit)
        if channel.ended.done():
            return None
        if attempt < retries:
            await _say(ctx, channel, state, tree,
                       node.spec.get("invalid" if digit is not None else "no_input"))
    ctx.bus.publish("ivr.failed", call=rec.id, ivr=tree.name, node=node.id)
    rec.disposition = "no-choice"             # unless the fail target does better
    return str(node.get("fail"))


async def _input(ctx: FlowContext, channel: Channel, rec: CallRecord, state: CallState,
                 tree: IvrTree, node: Node) -> str | None:
    lo, hi = int(node.get("min_digits")), int(node.get("max_digits"))
    terminator = str(node.get("terminator"))
    timeout = float(node.get("timeout_s"))
    for attempt in range(int(node.get("retries")) + 1):
        if channel.ended.done():
            return None
        await _prompt(ctx, channel, state, tree, node.spec["prompt"])
        key = await _key_or_prompt_end(ctx.clock, channel, timeout)
        if key is not None and not channel.ended.done():
            await channel.stop_play()
        got = ""
        while key is not None and key != terminator:
            if key.isdigit():
                got += key
            if len(got) >= hi:
                break
            key = await _next_key(ctx.clock, channel, timeout)
        if channel.ended.done():
            return None
        if lo <= len(got) <= hi:
            state.data[node.spec["var"]] = got
            ctx.bus.publish("ivr.input", call=rec.id, ivr=tree.name, node=node.id,
                            var=node.spec["var"], digits=len(got))
            return str(node.spec["next"])
        if attempt < int(node.get("retries")):
            await _say(ctx, channel, state, tree, node.spec.get("invalid"))
    ctx.bus.publish("ivr.failed", call=rec.id, ivr=tree.name, node=node.id)
    rec.disposition = "no-choice"
    return str(node.get("fail"))


async def _lookup(ctx: FlowContext, channel: Channel, rec: CallRecord, state: CallState,
                  tree: IvrTree, node: Node) -> str | None:
    kind, value = node.spec["lookup"], state.data.get(node.spec["var"], "")
    text = await (_ticket_text if kind == "ticket" else _customer_text)(ctx, value, state.lang)
    found = text is not None
    ctx.bus.publish("ivr.lookup", call=rec.id, ivr=tree.name, node=node.id, lookup=kind,
                    found=found)
    if found:
        state.entered[kind] = value                     # the screen pop looks it up too
    path = await (ctx.prompts.text(text, state.lang) if text is not None
                  else ctx.prompts.phrase("not_found", state.lang))
    await play_through(ctx.clock, channel, path)
    return str(node.spec["found" if found else "not_found"])


async def _ticket_text(ctx: FlowContext, value: str, lang: str) -> str | None:
    if not value.isdigit() or len(value) > 15:
        return None
    row = await ctx.store.db.fetchone("SELECT id, state, due_at FROM tickets WHERE id = ?",
                                      (int(value),))
    if row is None:
        return None
    due = ""
    if row["due_at"] is not None and row["state"] not in ("resolved", "closed"):
        day = datetime.fromtimestamp(row["due_at"]).date()
        due = speech.phrase("ticket_due", lang, date=speech.say_date(day, lang))
    return speech.phrase("ticket_status", lang, ticket=speech.digits(str(row["id"]), lang),
                         state=speech.ticket_state(row["state"], lang), due=due)


async def _customer_text(ctx: FlowContext, value: str, lang: str) -> str | None:
    if not value.isdigit() or len(value) > 15:
        return None
    row = await ctx.store.db.fetchone("SELECT id FROM customers WHERE id = ?", (int(value),))
    if row is None:
        return None
    tickets = await ctx.store.db.fetchall(
        "SELECT id, state FROM tickets WHERE customer_id = ? AND state NOT IN"
        " ('resolved', 'closed') ORDER BY due_at LIMIT 100", (row["id"],))
    first_ticket = ""
    if tickets:
        t = tickets[0]
        first_ticket = speech.phrase("ticket_status", lang,
                                     ticket=speech.digits(str(t["id"]), lang),
                                     state=speech.ticket_state(t["state"], lang), due="")
        first_ticket = (" " if lang == "en" else "") + first_ticket
    return speech.phrase("customer_status", lang, customer=speech.digits(value, lang),
                         count=speech.cardinal(len(tickets), lang, measure=True),
                         first=first_ticket)


async def _play(ctx: FlowContext, channel: Channel, rec: CallRecord, state: CallState,
                tree: IvrTree, node: Node) -> str | None:
    await play_through(ctx.clock, channel,
                       await ctx.prompts.spec(node.spec["prompt"], state.lang, tree.language))
    return None if channel.ended.done() else str(node.spec["next"])


async def _set(ctx: FlowContext, channel: Channel, rec: CallRecord, state: CallState,
               tree: IvrTree, node: Node) -> str | None:
    if "language" in node.spec:
        state.lang = node.spec["language"]
    state.data.update(node.spec.get("data", {}))
    for key in ("customer", "ticket"):
        if key in node.spec.get("data", {}):
            state.entered[key] = node.spec["data"][key]
    if "priority" in node.spec:
        state.priority = max(state.priority, int(node.spec["priority"]))
    ctx.bus.publish("ivr.set", call=rec.id, ivr=tree.name, node=node.id, lang=state.lang,
                    priority=state.priority, data=sorted(node.spec.get("data", {})))
    return str(node.spec["next"])


async def _branch(ctx: FlowContext, channel: Channel, rec: CallRecord, state: CallState,
                  tree: IvrTree, node: Node) -> str | None:
    value = state.data.get(node.spec["var"], "")
    return str(node.spec["cases"].get(value, node.spec["default"]))


async def _hours(ctx: FlowContext, channel: Channel, rec: CallRecord, state: CallState,
                 tree: IvrTree, node: Node) -> str | None:
    schedule = (await ctx.router.snapshot()).schedules.get(node.spec["schedule"])
    if schedule is None:
        from firmware.errors import FlowError
        raise FlowError("IVR names a missing schedule", call=rec.id, step="ivr",
                        schedule=node.spec["schedule"])
    is_open = schedule.state_at(ctx.clock.wall()).open
    return str(node.spec["open" if is_open else "closed"])


_STEP = {"menu": _menu, "input": _input, "lookup": _lookup, "play": _play, "set": _set,
         "branch": _branch, "hours": _hours}
