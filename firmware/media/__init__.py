"""Media nodes (pjsua2 worker processes on loopback) and the daemon's side of them.

``node`` is the program (``python -m firmware.media.node``) with ``commands`` (its
call engine) and ``frames`` (clock-thread taps and players); ``protocol`` is the
control protocol both sides speak; ``pool``/``client``/``leg`` are the daemon side.
"""
