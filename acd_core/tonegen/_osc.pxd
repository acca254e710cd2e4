# Cython declarations for acd_core/tonegen/_osc.py (pure-Python mode): the .py is the source.
cimport cython
cimport libc.math as math

cdef int SAMPLE_RATE, MAX_TONES


cdef class Oscillator:
    cdef double _phase[4]
    cdef double _fsk_phase
    cdef double _bit_clock

    @cython.locals(count=int, out=bytearray, dst="unsigned char*", step="double[4]", amp="double[4]",
                   k=int, i=Py_ssize_t, x=double, v=int)
    cpdef bytes tones(self, object freqs, object amps, Py_ssize_t n)

    @cython.locals(data=bytes, bp="const unsigned char*", nbits=Py_ssize_t, samples_per_bit=double, total=Py_ssize_t, out=bytearray,
                   dst="unsigned char*", w_mark=double, w_space=double, i=Py_ssize_t, b=Py_ssize_t, v=int)
    cpdef bytes fsk(self, object bits, double mark_hz, double space_hz, double baud, double amp)
