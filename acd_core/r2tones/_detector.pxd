# Cython declarations for acd_core/r2tones/_detector.py (pure-Python mode): the .py is the source.
cimport cython

cdef int SAMPLE_RATE, SUBBLOCK, WINDOW_SUBBLOCKS, RING, CONFIRM_HITS, RELEASE_MISSES
cdef double MIN_LEVEL_DBM0, MAX_TWIST_DB, THIRD_TONE_DB, TONE_TO_TOTAL, STATIONARITY

cdef object _octets(object samples)


cdef class R2ToneDetector:
    cdef public str direction
    cdef double _coef[6]
    cdef int _pair_tone[36]
    cdef double _s1[6]
    cdef double _s2[6]
    cdef double _re[24]
    cdef double _im[24]
    cdef double _wcos[6]
    cdef double _wsin[6]
    cdef double _rot_re[6]
    cdef double _rot_im[6]
    cdef double _step_re[6]
    cdef double _step_im[6]
    cdef double _energy[4]
    cdef double _acc
    cdef int _fill
    cdef long long _subblocks
    cdef long long _samples
    cdef int _window
    cdef double _min_tone, _twist, _third
    cdef int _last_hit, _hits, _current, _misses
    cdef list _out

    @cython.locals(src="const unsigned char*", pos=Py_ssize_t, end=Py_ssize_t, take=Py_ssize_t,
                   i=Py_ssize_t, v=int, x=double, t=double, energy=double,
                   c0=double, c1=double, c2=double, c3=double, c4=double, c5=double,
                   a0=double, a1=double, a2=double, a3=double, a4=double, a5=double,
                   b0=double, b1=double, b2=double, b3=double, b4=double, b5=double)
    cdef void _run(self, object buf, Py_ssize_t n)

    @cython.locals(slot=int, k=int, s1=double, s2=double, yr=double, yi=double, rr=double, ri=double,
                   nr=double, ni=double, g=double, tone=int)
    cdef void _end_subblock(self)

    @cython.locals(newest="long long", emax=double, emin=double, total=double, e=double, j=int, k=int,
                   slot=int, first=int, second=int, e1=double, e2=double, e3=double, re=double, im=double)
    cdef int _hit(self)

    cdef void _track(self, int tone)
