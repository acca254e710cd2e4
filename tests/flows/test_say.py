"""The prompt library: espeak-ng renders a text once per language and the cache serves it
after; configured prompts resolve to files; a missing one is a clear 404-style error."""
from __future__ import annotations

import asyncio
import wave
from pathlib import Path

import pytest

from firmware.flows.say import PromptLibrary
from firmware.store.db import NotFound


@pytest.mark.parametrize("lang, text", [("en", "Agent one zero two four will serve you."),
                                        ("zh", "一零二四号客服为您服务。")])
async def test_espeak_ng_renders_each_language_once_and_caches_it(
        tmp_path: Path, lang: str, text: str) -> None:
    library = PromptLibrary(tmp_path / "prompts")
    first, second = await asyncio.gather(library.text(text, lang), library.text(text, lang))
    assert first == second and library.rendered == 1          # one rendering, shared
    assert first.parent == tmp_path / "prompts" / "cache" / lang
    with wave.open(str(first)) as w:
        assert (w.getframerate(), w.getnchannels(), w.getsampwidth()) == (8000, 1, 2)
        assert w.getnframes() > 8000 * 0.8                    # about a second of speech or more
    assert (await library.text(text, lang)) == first and library.rendered == 1


async def test_a_missing_prompt_file_is_named(tmp_path: Path) -> None:
    library = PromptLibrary(tmp_path / "prompts")
    with pytest.raises(NotFound) as err:
        await library.spec({"file": "ivr/welcome.wav"}, "en")
    assert err.value.key == "ivr/welcome.wav"
    beep = await library.tone("beep")
    with wave.open(str(beep)) as w:
        assert w.getnframes() == 3200                             # 0.4 s at 8 kHz
