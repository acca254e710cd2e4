# Cython declarations for acd_core/progress/_detector.py (pure-Python mode): the .py is the source.
cimport cython

cdef int QUARTER
cdef double WIDE_FROM_HZ
cdef int SAMPLE_RATE, BLOCK, BLOCK_MS, MAX_FREQS, CADENCE_ABS_MS, SIT_MIN_MS, SIT_MAX_MS
cdef int CONTINUOUS_MS, HISTORY, NONCYCLIC_RESET_MS
cdef double MIN_LEVEL_DBM0, TONE_TO_TOTAL, CADENCE_REL

cdef object _octets(object samples)


cdef class ProgressDetector:
    cdef public str zone
    cdef list _defs
    cdef int _nf
    cdef list _freqs
    cdef list _classes
    cdef list _patterns
    cdef list _continuous_ms
    cdef double _coef[8]
    cdef int _wide[8]
    cdef double _half_power[8]
    cdef double _s1[8]
    cdef double _s2[8]
    cdef double _energy
    cdef int _fill
    cdef long long _samples
    cdef double _min_tone
    cdef int _cur_class
    cdef int _cur_blocks
    cdef int _pending
    cdef list _segments
    cdef str _current
    cdef int _quiet_ms
    cdef list _out

    @cython.locals(src="const unsigned char*", i=Py_ssize_t, k=int, nf=int, v=int, x=double, t=double)
    cdef void _run(self, object buf, Py_ssize_t n)

    @cython.locals(k=int, c=int, best=int, s1=double, s2=double, energy=double, best_share=double,
                   tone=double, weakest=double, share=double)
    cdef void _end_block(self)

    @cython.locals(k=int, s1=double, s2=double)
    cdef void _end_quarter(self)
    cdef void _block(self, int cls)
    cdef void _close(self, int cls, int ms)
    cdef int _reset_ms(self)
    cdef bint _close_enough(self, int got, int want, str kind)
    cdef bint _defs_cyclic_sit(self)
    @cython.locals(n=int, need=int, r=int, j=int, cls=int, ms=int, ok=bint)
    cdef bint _matches(self, int i)
    cdef void _check_continuous(self)
    cdef void _found(self, int i)
