"""MFC-R2 tones: ``R2ToneDetector`` (compiled from ``_detector.py``) and the Q.441 table.

The generator side is ``acd_core.tonegen.r2``.
"""
from acd_core.r2tones._detector import R2ToneDetector
from acd_core.r2tones.tables import (BACKWARD_FREQS, FORWARD_FREQS, PAIRS, SEND_LEVEL_DBM0,
                                     frequencies)

__all__ = ["R2ToneDetector", "FORWARD_FREQS", "BACKWARD_FREQS", "PAIRS", "SEND_LEVEL_DBM0",
           "frequencies"]
