"""In-band DTMF: ``DtmfDetector`` (compiled from ``_receiver.py``) and the ``python -m acd_core.dtmf`` CLI.

The detector's envelope and method are in ``acd_core.dtmf._receiver``'s docstring.
"""
from acd_core.dtmf._receiver import KEYS, DtmfDetector

__all__ = ["DtmfDetector", "KEYS"]
