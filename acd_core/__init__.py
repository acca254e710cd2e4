"""Pure cores of Callbox: no I/O, no clock reads, no threads.

The ACD engine and the DSP (DTMF / tone / FSK / R2 detectors, tone generator,
G.711) live here. Modules with a ``.pxd`` beside them compile with Cython
(pure-Python mode); the ``.py`` stays the source of truth and runs unchanged
when not compiled. ``errors`` and ``clock`` are the foundation every other layer
(drivers, firmware, webui) builds on, which is why they sit in the lowest package.
"""
