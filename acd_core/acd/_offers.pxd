# Cython declarations for acd_core/acd/_offers.py (pure-Python mode): the .py is the source.
cimport cython

from acd_core.acd._records cimport _Agent, _Call, _Member, _Queue
from acd_core.acd._state cimport _State

cdef object CallbackDue
cdef object Offer
cdef object OfferCancelled

cdef int C_RINGING, C_WAITING, IDLE, PROGRESSIVE, RINGING, ROUND_ROBIN, T_RING, T_STEP


cdef class _Offers(_State):
    @cython.locals(m=_Member, q=_Queue)
    cdef void _offer(self, _Call call, list members, object reason)

    @cython.locals(q=_Queue)
    cdef void _ring(self, _Call call, _Agent a, object reason)

    cdef void _emit_cancel(self, _Call call, _Agent a, object why)

    cdef void _release(self, _Agent a, object why)
