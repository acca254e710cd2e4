"""Call-progress tones: ``ProgressDetector`` (compiled from ``_detector.py``) and the zone table.

``python -m acd_core.progress FILE [--zone us] [--alaw|--ulaw]`` prints
``<sample_offset> <kind>`` per recognised tone.
"""
from acd_core.progress._detector import ProgressDetector
from acd_core.progress.zones import KINDS, ZONES, ToneDef, zone

__all__ = ["ProgressDetector", "ZONES", "KINDS", "ToneDef", "zone"]
