# Cython declarations for acd_core/dtmf/_receiver.py (pure-Python mode): the .py is the source.
cimport cython
cimport libc.math as math

cdef int SUBBLOCK, HALF, WINDOW_SUBBLOCKS, PHASE_LAG, SPAN, RING, CONFIRM_HITS, RELEASE_MISSES
cdef int PCM16, ALAW, ULAW
cdef double _ALAW[256]
cdef double _ULAW[256]
cdef double FREQ_TOLERANCE, NORMAL_TWIST_DB, REVERSE_TWIST_DB, MIN_LEVEL_DBM0
cdef double RELATIVE_PEAK_DB, TONE_TO_TOTAL, STATIONARITY, FREQ_STABILITY_HZ, OCTAVE_GUARD_HZ
cdef int SAMPLE_RATE

cdef object _octets(object samples)

@cython.locals(a2=double)
cdef inline double _sin_small(double a) noexcept

@cython.locals(a2=double)
cdef inline double _cos_small(double a) noexcept

@cython.locals(u=double, u2=double, u4=double, u8=double)
cdef inline double _sin_mid(double x) noexcept

@cython.locals(u=double, u2=double, u4=double, u8=double)
cdef inline double _cos_mid(double x) noexcept

@cython.locals(ax=double, ay=double, z=double, z2=double, z4=double, z8=double, r=double,
               swap=bint)
cdef inline double _atan2_near(double y, double x) noexcept


cdef class DtmfDetector:
    # process* take one positional buffer (METH_O: the per-frame call is the cheapest)
    cdef public int sample_rate
    cdef double _freq[8]
    cdef double _coef[8]
    cdef double _wcos[8]
    cdef double _wsin[8]
    cdef double _step_re[8]
    cdef double _step_im[8]
    cdef double _rot_re[8]
    cdef double _rot_im[8]
    cdef double _half_re[8]
    cdef double _half_im[8]
    cdef double _pend[40]
    cdef double _pk_re[16], _pk_im[16], _lag_re[16], _lag_im[16]
    cdef double _saw[16], _caw[16], _sa[16], _ca[16]
    cdef double _yr[8]
    cdef double _yi[8]
    cdef double _wre[8]
    cdef double _wim[8]
    cdef double _y_re[64]
    cdef double _y_im[64]
    cdef double _energy[8]
    cdef int _fill
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

    @cython.locals(src="const unsigned char*", pend="double*", pos=Py_ssize_t, take=Py_ssize_t,
                   fill=Py_ssize_t, i=Py_ssize_t, k=Py_ssize_t)
    cdef void _feed(self, object buf, Py_ssize_t n, int law)

    @cython.locals(x="double*", i=int, t=double, xa=double, xb=double, ea=double, eb=double,
                   ar=double, ai=double,
                   c0=double, c1=double, c2=double, c3=double, c4=double, c5=double, c6=double,
                   c7=double, a0=double, a1=double, a2=double, a3=double, a4=double, a5=double,
                   a6=double, a7=double, b0=double, b1=double, b2=double, b3=double, b4=double,
                   b5=double, b6=double, b7=double, p0=double, p1=double, p2=double, p3=double,
                   p4=double, p5=double, p6=double, p7=double, q0=double, q1=double, q2=double,
                   q3=double, q4=double, q5=double, q6=double, q7=double)
    cdef void _goertzel(self) noexcept

    @cython.locals(slot=int, k=int, yr=double, yi=double, rr=double, ri=double,
                   nr=double, ni=double, g=double, digit=int)
    cdef void _end_subblock(self)

    @cython.locals(row_off=double, col_off=double, q=double, pair=int, s2=int, s3=int, s4=int,
                   re1=double, im1=double, re0=double, im0=double,
                   rr=double, ri=double, cr=double, ci=double, ur=double, ui=double,
                   p1re=double, p1im=double, p0re=double, p0im=double, lag_re=double, lag_im=double,
                   c1re=double, c1im=double, c0re=double, c0im=double)
    cdef void _sums(self, int row, int col, long long newest) noexcept

    cdef inline double _phase_hz(self, double re1, double im1, double re0, double im0) noexcept

    @cython.locals(a=double, saw=double, caw=double, sa=double, ca=double, leak=double)
    cdef inline double _leak_ratio(self, int pair, double sign, double src_off) noexcept

    @cython.locals(a=double, r=double)
    cdef inline double _gain(self, double offset_hz) noexcept

    @cython.locals(newest="long long", emax=double, emin=double, e=double, j=int, k=int,
                   row=int, col=int, row_e=double, row_2nd=double, col_e=double, col_2nd=double,
                   row_off=double, col_off=double, total=double, scale=double,
                   s0=int, s1=int, s2=int, re=double, im=double)
    cdef int _hit(self) noexcept

    cdef void _track(self, int digit)
