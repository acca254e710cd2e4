# Cython declarations for acd_core/dtmf/_receiver.py (pure-Python mode): the .py is the source.
cimport cython
cimport libc.math as math

cdef int SUBBLOCK, WINDOW_SUBBLOCKS, PHASE_LAG, SPAN, RING, CONFIRM_HITS, RELEASE_MISSES
cdef double FREQ_TOLERANCE, NORMAL_TWIST_DB, REVERSE_TWIST_DB, MIN_LEVEL_DBM0
cdef double RELATIVE_PEAK_DB, TONE_TO_TOTAL, STATIONARITY, FREQ_STABILITY_HZ, OCTAVE_GUARD_HZ
cdef int SAMPLE_RATE

cdef object _octets(object samples)


cdef class DtmfDetector:
    cdef public int sample_rate
    cdef double _freq[8]
    cdef double _coef[8]
    cdef double _wcos[8]
    cdef double _wsin[8]
    cdef double _step_re[8]
    cdef double _step_im[8]
    cdef double _rot_re[8]
    cdef double _rot_im[8]
    cdef double _s1[8]
    cdef double _s2[8]
    cdef double _y_re[64]
    cdef double _y_im[64]
    cdef double _energy[8]
    cdef int _fill
    cdef double _acc_energy
    cdef long long _subblocks
    cdef long long _samples
    cdef int _window
    cdef double _min_energy
    cdef double _normal_twist
    cdef double _reverse_twist
    cdef double _relative_peak
    cdef double _hz_per_radian
    cdef double _row_off, _col_off, _prev_row_off, _prev_col_off
    cdef double _r1re, _r1im, _r0re, _r0im, _c1re, _c1im, _c0re, _c0im
    cdef int _last_hit
    cdef int _hits
    cdef int _current
    cdef int _misses
    cdef list _out

    @cython.locals(src="const unsigned char*", pos=Py_ssize_t, end=Py_ssize_t, take=Py_ssize_t,
                   i=Py_ssize_t, v=int, x=double, t=double, energy=double,
                   c0=double, c1=double, c2=double, c3=double, c4=double, c5=double, c6=double, c7=double,
                   a0=double, a1=double, a2=double, a3=double, a4=double, a5=double, a6=double, a7=double,
                   b0=double, b1=double, b2=double, b3=double, b4=double, b5=double, b6=double, b7=double)
    cdef void _run(self, object buf, Py_ssize_t n)

    @cython.locals(slot=int, k=int, s1=double, s2=double, yr=double, yi=double, rr=double, ri=double,
                   nr=double, ni=double, g=double, digit=int)
    cdef void _end_subblock(self)

    @cython.locals(total=double, j=int, slot=int)
    cdef double _window_sum(self, int k, long long newest, bint want_im)

    @cython.locals(re=double, im=double)
    cdef double _tone_energy(self, int k, long long newest)

    @cython.locals(row_off=double, col_off=double, dw=double, start=double, ph=double, q=double,
                   p1re=double, p1im=double, p0re=double, p0im=double, lag_re=double, lag_im=double,
                   c1re=double, c1im=double, c0re=double, c0im=double)
    cdef void _sums(self, int row, int col, long long newest)

    cdef double _phase_hz(self, double re1, double im1, double re0, double im0)

    @cython.locals(half=double)
    cdef double _dirichlet(self, double delta)

    @cython.locals(w=double)
    cdef double _leak_ratio(self, int src, double src_off, int dst)

    @cython.locals(a=double, r=double)
    cdef double _gain(self, double offset_hz)

    @cython.locals(newest="long long", emax=double, emin=double, e=double, j=int, k=int,
                   row=int, col=int, row_e=double, row_2nd=double, col_e=double, col_2nd=double,
                   row_off=double, col_off=double, total=double, scale=double)
    cdef int _hit(self)

    cdef void _track(self, int digit)
