# Cython declarations for acd_core/g711.py (pure-Python mode): the .py is the source.
# bytes/bytearray coerce to C pointers, so the loops read in place; the results
# are new bytes objects filled in place (PyBytes_FromStringAndSize(NULL, n)).
cimport cython
from cpython.bytes cimport PyBytes_FromStringAndSize

cdef bint _COMPILED
cdef bytes _ALAW_DECODE_LE, _ULAW_DECODE_LE, _ALAW_ENCODE, _ULAW_ENCODE


cdef object _octets(object data)


@cython.locals(buf=object, frame=bytes, src="const unsigned char*", out=bytearray, dst="unsigned char*",
               tab="const unsigned char*", res=bytes, wdst="unsigned short*",
               wtab="const unsigned short*", i=Py_ssize_t, n=Py_ssize_t, c=Py_ssize_t)
cdef bytes _expand(object data, bytes table)


@cython.locals(buf=object, frame=bytes, src="const unsigned char*", out=bytearray, dst="unsigned char*",
               tab="const unsigned char*", res=bytes, rdst="unsigned char*",
               i=Py_ssize_t, n=Py_ssize_t, u=cython.uint)
cdef bytes _compress(object pcm16le, bytes table, int shift)
