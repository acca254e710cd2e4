"""MFC-R2 interregister tones (ITU-T Q.441, Q.454; China No.1 uses the same tones).

Forward tones (calling side) combine two of 1380..1980 Hz, backward tones
(called side) two of 1140..540 Hz, both in 120 Hz steps; tone n (1..15) is the
Q.441 pair listed here. The meaning of a tone (group I/II/A/B, ITU or CN
variant) is the signalling layer's business, not the detector's (docs/reference/r2.md).
"""
from __future__ import annotations

from typing import Dict, Tuple

FORWARD_FREQS = (1380.0, 1500.0, 1620.0, 1740.0, 1860.0, 1980.0)  # f0..f5
BACKWARD_FREQS = (1140.0, 1020.0, 900.0, 780.0, 660.0, 540.0)     # f0..f5

# Q.441 table 5: tone number -> (index, index) into the direction's f0..f5.
PAIRS: Dict[int, Tuple[int, int]] = {
    1: (0, 1), 2: (0, 2), 3: (1, 2), 4: (0, 3), 5: (1, 3), 6: (2, 3), 7: (0, 4), 8: (1, 4),
    9: (2, 4), 10: (3, 4), 11: (0, 5), 12: (1, 5), 13: (2, 5), 14: (3, 5), 15: (4, 5),
}

# Q.454 §4: sending level -8 dBm0 ±1 dB per frequency (v); the receiver must
# work from -5 to -35 dBm0 per frequency with up to 5 dB between the two (Q.455).
SEND_LEVEL_DBM0 = -8.0


def frequencies(tone: int, direction: str) -> Tuple[float, float]:
    """The two frequencies of forward or backward tone ``tone`` (1..15)."""
    if direction not in ("forward", "backward"):
        raise ValueError(f"R2 direction must be 'forward' or 'backward', not {direction!r}")
    if tone not in PAIRS:
        raise ValueError(f"R2 tone must be 1..15, not {tone!r}")
    freqs = FORWARD_FREQS if direction == "forward" else BACKWARD_FREQS
    a, b = PAIRS[tone]
    return freqs[a], freqs[b]
