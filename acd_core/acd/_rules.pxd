# Cython declarations for acd_core/acd/_rules.py (pure-Python mode): the .py is the source.
cimport cython

from acd_core.acd._records cimport _Call, _Queue
from acd_core.acd._strategies cimport _Strategies

cdef object OfferCallback
cdef object Overflow
cdef object Requeued

cdef int C_DONE, C_WAITING, T_ANN, T_CBOFFER, T_ESC, T_MAXWAIT


@cython.locals(s=int)
cdef bint _empty(_Queue q, long mask)


cdef object _refusal(_Queue q, bint callback)


cdef class _Rules(_Strategies):
    @cython.locals(q=_Queue, nq=_Queue, hops=int)
    cpdef list would_refuse(self, object queue)

    @cython.locals(q=_Queue, call=_Call)
    cdef void _settle(self)

    @cython.locals(why=object)
    cdef void _enter(self, _Call call, _Queue q)

    @cython.locals(q=_Queue, now=double, i=int, when=double)
    cdef void _arm(self, _Call call)

    @cython.locals(q=_Queue, nq=_Queue)
    cdef void _leave(self, _Call call, object why)

    @cython.locals(q=_Queue)
    cdef void _requeue(self, _Call call, object why)

    cdef void _offer_callback(self, _Call call)
