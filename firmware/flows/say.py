"""Prompts as files a media node can play: configured WAVs, spoken texts, fixed phrases.

A text prompt is rendered once by espeak-ng (``firmware.prompts.speak``, the language's
voice from ``firmware.speech.VOICES``) into ``var/prompts/cache/<lang>/<hash>.wav`` and
played from there ever after; nothing generated is committed or shipped. The texts an
admin configures (IVR trees, named prompts) and the fixed phrases of the languages in
use are rendered at start (``warm``) in the background; a text first needed during a
call (a position, a wait, a ticket's status) is rendered then, in a worker thread, and
two calls needing the same text share one rendering.
"""
from __future__ import annotations

import asyncio
import hashlib
import logging
from pathlib import Path
from typing import Any, Callable, Iterable

from firmware import prompts, speech
from firmware.prompts import PromptError
from firmware.store.db import NotFound
from firmware.store.inbound import InboundStore

log = logging.getLogger("callbox.flows.say")

Renderer = Callable[[str, Path, str], Path]       # (text, path, voice) -> path

#: phrases rendered at start for every language in use (the rest on first use)
WARM_PHRASES = ("closed", "holiday", "no_agent", "blocked", "voicemail", "voicemail_saved",
                "invalid", "no_input", "goodbye", "survey_intro", "survey_thanks",
                "not_found", "forward_failed", "no_answer")


def _espeak(text: str, path: Path, voice: str) -> Path:
    return prompts.speak(text, path, voice=voice)


class PromptLibrary:
    def __init__(self, prompts_dir: Path, inbound: InboundStore | None = None,
                 renderer: Renderer = _espeak) -> None:
        self.dir = prompts_dir
        self.cache = prompts_dir / "cache"
        self._inbound = inbound
        self._render = renderer
        self._inflight: dict[Path, asyncio.Future[Path]] = {}
        self.rendered = 0                      # texts rendered by this library (for tests)

    # -- texts ---------------------------------------------------------------------
    async def text(self, text: str, lang: str) -> Path:
        """The WAV of ``text`` spoken in ``lang`` (rendered once, then cached)."""
        path = self.path_for(text, lang)
        voice = speech.VOICES[lang]
        if path.exists():
            return path
        running = self._inflight.get(path)
        if running is not None:
            return await asyncio.shield(running)
        fut: asyncio.Future[Path] = asyncio.get_running_loop().create_future()
        self._inflight[path] = fut
        try:
            await asyncio.to_thread(self._render, text, path, voice)
            self.rendered += 1
            fut.set_result(path)
        except BaseException as exc:
            fut.set_exception(exc)
            fut.exception()                    # retrieved: waiters get it, nobody else logs
            raise
        finally:
            del self._inflight[path]
        return path

    def path_for(self, text: str, lang: str) -> Path:
        """Where ``text`` spoken in ``lang`` is cached (whether rendered yet or not)."""
        voice = speech.VOICES.get(lang)
        if voice is None:
            raise PromptError("no voice for this language", path="", tool="espeak-ng",
                              lang=lang)
        key = hashlib.sha1(f"{voice}\0{text}".encode()).hexdigest()[:20]
        return self.cache / lang / f"{key}.wav"

    async def phrase(self, key: str, lang: str, /, **values: Any) -> Path:
        return await self.text(speech.phrase(key, lang, **values), lang)

    # -- configured prompts -----------------------------------------------------------
    async def spec(self, spec: Any, lang: str, default_lang: str = "en") -> Path:
        """A prompt as configured: ``"prompt:<name>"``, ``{"file": ...}``, ``{"text": ...}``."""
        if isinstance(spec, str) and spec.startswith("prompt:"):
            if self._inbound is None:
                raise PromptError("named prompts need the store", path=spec, tool="store")
            named = await self._inbound.prompt(spec.partition(":")[2])
            if named is None:
                raise NotFound("no such prompt", table="prompts", key=spec.partition(":")[2])
            spec = named.spec()
        if isinstance(spec, dict) and "files" in spec:
            spec = _for_language(spec, lang, default_lang)
        if isinstance(spec, dict) and "file" in spec:
            path = self.dir / spec["file"]
            if not path.is_file():
                raise NotFound("prompt file missing under var/prompts", table="prompts",
                               key=spec["file"])
            return path
        if isinstance(spec, dict) and "text" in spec:
            said = spec["text"]
            if isinstance(said, str):
                return await self.text(said, lang)
            chosen = lang if lang in said else default_lang if default_lang in said \
                else next(iter(said))
            return await self.text(said[chosen], chosen)
        raise PromptError("not a prompt", path=repr(spec)[:80], tool="store")

    async def tone(self, name: str) -> Path:
        """Fixed tones: ``beep`` (1 kHz, 0.4 s, before a voicemail message)."""
        if name != "beep":
            raise PromptError("no such tone", path=name, tool="tone")
        path = self.cache / "beep.wav"
        if not path.exists():
            await asyncio.to_thread(prompts.tone, path, 1000.0, 0.4)
        return path

    # -- ahead of calls ---------------------------------------------------------------
    async def warm(self, specs: Iterable[tuple[Any, str]], languages: Iterable[str]) -> int:
        """Render configured prompts and the fixed phrases; returns how many failed (each
        failure is logged with the prompt; the call that needs it will try again)."""
        failed = 0
        jobs: list[tuple[str, Any]] = [(lang, ("phrase", k)) for lang in sorted(set(languages))
                                       for k in WARM_PHRASES]
        jobs += [(lang, spec) for spec, lang in specs]
        for lang, job in jobs:
            try:
                if isinstance(job, tuple):
                    await self.phrase(job[1], lang)
                else:
                    await self.spec(job, lang)
            except Exception as exc:           # a broken prompt must not stop the others
                failed += 1
                log.warning("prompt not rendered lang=%s prompt=%r error=%s", lang, job, exc)
        return failed


def _for_language(spec: dict[str, Any], lang: str, default_lang: str) -> dict[str, Any]:
    """A named prompt with recordings per language, for a caller of ``lang``: that
    language's recording, else the recording for every language, else the text; with
    neither, the default language's recording, else any."""
    files = spec["files"]
    if lang in files:
        return {"file": files[lang]}
    if "file" in spec or spec.get("text"):
        return {k: v for k, v in spec.items() if k != "files"}
    return {"file": files.get(default_lang) or next(iter(files.values()))}


async def play_through(clock: Any, channel: Any, path: Path | str, *,
                       barge_in: bool = False) -> str | None:
    """Play ``path`` to the caller and wait for its end (or the caller leaving, or at
    most ``flow.prompt_max``). With ``barge_in`` a key stops it and is returned."""
    from firmware.clock import first
    from firmware.timers import TIMERS
    if channel.ended.done():
        return None
    await channel.play(str(path))
    done = asyncio.ensure_future(channel.wait_play_done())
    digit = asyncio.ensure_future(channel.next_digit()) if barge_in else None
    try:
        waits = {done, channel.ended} | ({digit} if digit else set())
        got = await first(clock, waits, TIMERS["flow.prompt_max"])
        if digit is not None and digit in got:
            if not channel.ended.done():
                await channel.stop_play()
            return digit.result()
        return None
    finally:
        for t in (done, digit):
            if t is not None and not t.done():
                t.cancel()
