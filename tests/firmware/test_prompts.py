import wave
from pathlib import Path

from firmware import prompts
from tests.support.audio import read_wav, windows_with_tone


def test_spoken_prompt_is_8khz_mono_16bit_and_not_silent(tmp_path: Path) -> None:
    path = prompts.speak("For support, press 1.", tmp_path / "p.wav")
    with wave.open(str(path)) as w:
        assert (w.getframerate(), w.getnchannels(), w.getsampwidth()) == (8000, 1, 2)
        assert w.getnframes() > 8000 * 0.8
    _, samples = read_wav(path)
    assert max(abs(s) for s in samples) > 3000
    assert not list(tmp_path.glob("*.tmp.wav")) and not list(tmp_path.glob("*.espeak.wav"))


def test_music_on_hold_is_tonal_and_quiet(tmp_path: Path) -> None:
    path = prompts.music_on_hold(tmp_path / "moh.wav", seconds=4.0)
    _, samples = read_wav(path)
    assert len(samples) == 4 * 8000
    assert max(abs(s) for s in samples) < 0.2 * 32767
    # The first notes are C4 then E4, half a second each.
    assert windows_with_tone(path, 261.63, window_s=0.5, threshold=0.5) >= 1
    assert windows_with_tone(path, 329.63, window_s=0.5, threshold=0.5) >= 1
