"""Talk-off corpus: speech in several languages (espeak-ng) and synthetic music.

A DTMF receiver must stay silent on voice and music (talk-off). The corpus is
generated, never committed: speech comes from espeak-ng (Debian package, in the
Makefile's system packages) resampled to 8 kHz and band-limited to the telephone
band (300–3400 Hz) with sox, then levelled to an active speech level; music is
synthesised here from a fixed seed (several voices, harmonic timbres, vibrato,
chords and percussion). Files are cached under ``.cache/test-audio/talkoff/`` in the checkout
(gitignored; never in the appliance's data folder ``var/``), keyed by everything that shapes them, so a second run costs nothing.

``python -m tests.support.talkoff [--seconds N]`` prints the corpus inventory.
"""
from __future__ import annotations

import hashlib
import math
import os
import random
import shutil
import struct
import subprocess
from dataclasses import dataclass
from pathlib import Path

RATE = 8000
ROOT = Path(__file__).resolve().parents[2]
CACHE = Path(os.environ.get("CALLBOX_TEST_AUDIO", ROOT / ".cache" / "test-audio")) / "talkoff"
DBM0_PEAK = 32767.0 * 10.0 ** (-3.14 / 20.0)

# Text written for this corpus: ordinary sentences with many voiced sounds and
# sibilants, a few numbers (people read numbers aloud to an IVR).
TEXTS = {
    "en-us": ("Thank you for calling. Please hold while we connect you to the next available "
              "agent. My account number is four seven two nine, and I was charged twice this "
              "month. Could you check whether the refund has been sent? Yes, that is right, "
              "the parcel never arrived and nobody answered the phone on Sunday evening."),
    "de": ("Guten Tag, ich rufe wegen meiner Rechnung an. Die Lieferung kam zwei Wochen zu "
           "spät, und der Kundendienst hat sich nicht gemeldet. Können Sie mir bitte sagen, "
           "wann der Techniker kommt? Meine Kundennummer ist acht drei fünf eins."),
    "fr": ("Bonjour, je voudrais parler à quelqu'un du service client. Ma commande n'est "
           "toujours pas arrivée et personne ne répond aux courriels. Pouvez-vous vérifier "
           "le numéro six quatre neuf deux, s'il vous plaît? Merci beaucoup, bonne journée."),
    "es": ("Buenas tardes, llamo porque mi factura tiene un error. Me cobraron dos veces el "
           "mismo servicio y quisiera una devolución. Mi número de cliente es nueve cinco "
           "tres siete. ¿Podría decirme cuánto tiempo tardará? Muchas gracias por su ayuda."),
    "cmn": ("您好，我想查询一下我的订单。上个星期买的冰箱到现在还没有送到，"
            "客服电话一直占线。我的订单号码是五八三二七。请问什么时候能够送货？"
            "如果不能按时送到，我希望可以退款。谢谢您的帮助，再见。"),
    "lt": ("Laba diena, skambinu dėl savo sąskaitos. Užsakymas vis dar neatkeliavo, o "
           "klientų aptarnavimo skyrius neatsako. Mano kliento numeris yra septyni du "
           "devyni keturi. Ar galėtumėte patikrinti, kada atvyks kurjeris? Labai ačiū."),
    "ru": ("Здравствуйте, я звоню по поводу счёта. Заказ до сих пор не доставлен, "
           "а в службе поддержки никто не отвечает. Мой номер клиента шесть один восемь "
           "три. Скажите, пожалуйста, когда приедет курьер? Большое спасибо."),
    "hi": ("नमस्ते, मैं अपने बिल के बारे में बात करना चाहता हूँ। मेरा सामान अभी तक नहीं आया "
           "और ग्राहक सेवा से कोई जवाब नहीं मिला। मेरा ग्राहक नंबर चार नौ दो सात है। धन्यवाद।"),
}

# (voice suffix, pitch 0-99, words per minute): a low male, a high female and a
# very high voice (the talk-off risk grows with pitch).
VOICES = (("", 40, 165), ("+f3", 70, 175), ("+f5", 95, 190))


@dataclass(frozen=True)
class Clip:
    name: str
    pcm: bytes          # 8 kHz signed 16-bit little-endian

    @property
    def seconds(self) -> float:
        return len(self.pcm) / 2 / RATE


def have_speech_tools() -> bool:
    return shutil.which("espeak-ng") is not None and shutil.which("sox") is not None


def _scale_to(samples: list[float], level_dbm0: float) -> bytes:
    """Level to ``level_dbm0`` measured over the louder half of 20 ms frames
    (a crude active level: pauses do not count), clipped to int16."""
    frame = 160
    powers = sorted((sum(v * v for v in samples[i:i + frame]) / frame
                     for i in range(0, len(samples) - frame + 1, frame)), reverse=True)
    active = powers[: max(1, len(powers) // 2)]
    rms = math.sqrt(sum(active) / len(active)) or 1.0
    gain = DBM0_PEAK / math.sqrt(2.0) * 10.0 ** (level_dbm0 / 20.0) / rms
    return struct.pack(f"<{len(samples)}h",
                       *(max(-32768, min(32767, int(round(v * gain)))) for v in samples))


def _cached(key: str, make) -> bytes:
    digest = hashlib.sha256(key.encode()).hexdigest()[:16]
    path = CACHE / f"{digest}.pcm"
    if path.exists():
        return path.read_bytes()
    data = make()
    CACHE.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".tmp{os.getpid()}")
    tmp.write_bytes(data)
    tmp.replace(path)
    return data


def speech(lang: str, voice: str = "", pitch: int = 50, wpm: int = 170,
           level_dbm0: float = -15.0) -> Clip:
    """One language read by one voice, 8 kHz, telephone band, at an active level."""
    text = TEXTS[lang]
    key = f"speech|{lang}|{voice}|{pitch}|{wpm}|{level_dbm0}|{text}"

    def make() -> bytes:
        wav = subprocess.run(["espeak-ng", "-v", lang + voice, "-p", str(pitch), "-s", str(wpm),
                              "--stdout", text], check=True, capture_output=True,
                             timeout=120).stdout
        raw = subprocess.run(["sox", "-t", "wav", "-", "-t", "raw", "-r", str(RATE), "-e",
                              "floating-point", "-b", "32", "-c", "1", "-",
                              "sinc", "300-3400"], input=wav, check=True,
                             capture_output=True, timeout=120).stdout
        samples = list(struct.unpack(f"<{len(raw) // 4}f", raw))
        return _scale_to([v * 32768.0 for v in samples], level_dbm0)

    return Clip(f"speech {lang}{voice} p{pitch}", _cached(key, make))


def speech_corpus(level_dbm0: float = -15.0) -> list[Clip]:
    """Every language in every voice."""
    return [speech(lang, voice, pitch, wpm, level_dbm0)
            for lang in TEXTS for voice, pitch, wpm in VOICES]


# Equal-tempered notes; timbres are harmonic amplitude lists (flute-like,
# clarinet-like odd harmonics, bright string-like, organ-like).
TIMBRES = ((1.0, 0.3, 0.1), (1.0, 0.0, 0.5, 0.0, 0.3, 0.0, 0.15),
           (1.0, 0.7, 0.5, 0.35, 0.25, 0.18, 0.12), (1.0, 0.5, 0.0, 0.25, 0.0, 0.0, 0.0, 0.12))


def _note_hz(midi: int) -> float:
    return 440.0 * 2.0 ** ((midi - 69) / 12.0)


def music(seconds: float = 20.0, seed: int = 1, level_dbm0: float = -15.0) -> Clip:
    """Synthetic music: melody, chords and bass on a random walk through a scale,
    with vibrato, attack/decay envelopes and noise-burst percussion."""
    key = f"music|{seconds}|{seed}|{level_dbm0}|v1"

    def make() -> bytes:
        rng = random.Random(seed)
        n = int(seconds * RATE)
        out = [0.0] * n
        tempo = rng.uniform(90, 150)
        beat = int(RATE * 60.0 / tempo)
        scale = (0, 2, 4, 5, 7, 9, 11)
        root = rng.randrange(55, 67)
        step = 0

        def note(start: int, length: int, midi: int, amp: float, timbre: tuple) -> None:
            f0 = _note_hz(midi)
            vib_rate, vib_depth = rng.uniform(4.5, 6.5), rng.uniform(0.0, 0.006)
            attack = min(length, int(0.02 * RATE))
            phases = [rng.uniform(0, 2 * math.pi) for _ in timbre]
            for i in range(min(length, n - start)):
                env = (i / attack if i < attack else math.exp(-3.0 * (i - attack) / length))
                ph = 2 * math.pi * f0 * i / RATE + vib_depth * f0 / vib_rate * math.sin(
                    2 * math.pi * vib_rate * i / RATE)
                s = 0.0
                for h, a in enumerate(timbre, 1):
                    if a and f0 * h < 3600:
                        s += a * math.sin(h * ph + phases[h - 1])
                out[start + i] += amp * env * s

        t = 0
        while t < n:
            degree = step % 7
            midi = root + 12 + scale[degree] + 12 * (step // 7)
            length = beat * rng.choice((1, 1, 2)) // rng.choice((1, 2))
            note(t, length, midi, 1.0, rng.choice(TIMBRES))
            if t % (2 * beat) < beat // 2:
                chord_root = root + scale[rng.randrange(7)]
                timbre = rng.choice(TIMBRES)
                for iv in (0, 4, 7):
                    note(t, 2 * beat, chord_root + iv, 0.45, timbre)
                note(t, 2 * beat, root - 12 + scale[rng.randrange(7)], 0.7, TIMBRES[0])
                for i in range(min(int(0.04 * RATE), n - t)):      # snare-like burst
                    out[t + i] += 0.6 * rng.gauss(0, 1) * math.exp(-i / 80.0)
            step = max(-7, min(10, step + rng.choice((-2, -1, -1, 1, 1, 2, 3))))
            t += length
        return _scale_to(out, level_dbm0)

    return Clip(f"music seed {seed}", _cached(key, make))


def music_corpus(seconds_each: float = 20.0, seeds=(1, 2, 3)) -> list[Clip]:
    return [music(seconds_each, seed) for seed in seeds]


if __name__ == "__main__":
    import argparse
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--music-seconds", type=float, default=20.0)
    a = p.parse_args()
    for clip in speech_corpus() + music_corpus(a.music_seconds):
        print(f"{clip.seconds:7.1f} s  {clip.name}")
