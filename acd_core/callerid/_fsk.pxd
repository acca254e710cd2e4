# Cython declarations for acd_core/callerid/_fsk.py (pure-Python mode): the .py is the source.
cimport cython

cdef int SAMPLE_RATE, MAX_WINDOW
cdef double BAUD, MIN_LEVEL_DBM0, CARRIER_SHARE, CARRIER_SMOOTHING

cdef object _octets(object samples)


cdef class FskDemodulator:
    cdef public str standard
    cdef double _step_m_re, _step_m_im, _step_s_re, _step_s_im
    cdef double _pm_re, _pm_im, _ps_re, _ps_im
    cdef int _window
    cdef double _ring[50]
    cdef int _pos
    cdef double _m_re, _m_im, _s_re, _s_im, _energy
    cdef double _min_power, _sig, _tot
    cdef double _spb
    cdef int _last_bit
    cdef int _in_char
    cdef double _clock
    cdef double _next
    cdef int _nbit
    cdef int _byte
    cdef long long _samples
    cdef list _out

    @cython.locals(src="const unsigned char*", i=Py_ssize_t, v=int, x=double, slot=int,
                   mr=double, mi=double, sr=double, si=double, e=double, r=double, g=double,
                   pm=double, ps=double, carrier=bint, bit=int)
    cdef void _run(self, object buf, Py_ssize_t n)

    cdef void _uart(self, int bit)
