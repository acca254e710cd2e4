# Cython declarations for acd_core/acd/_engine.py (pure-Python mode): the .py is the source.
cimport cython

from acd_core.acd._records cimport _Agent, _Call, _Member, _Queue
from acd_core.acd._rules cimport _Rules

cdef object heappop
cdef object ConfigError
cdef object AgentAutoPaused
cdef object Announce
cdef object Stale

cdef double INF
cdef int IDLE, RINGING, ONCALL, WRAPUP
cdef int C_WAITING, C_RINGING, C_CONNECTED, C_DONE
cdef int T_WRAP, T_REST, T_RING, T_STEP, T_MAXWAIT, T_ESC, T_ANN
cdef long TICK_CODE


cdef class Engine(_Rules):
    @cython.locals(q=_Queue, new=_Queue, call=_Call)
    cpdef list update_queue(self, object spec)

    @cython.locals(t=double, code=long)
    cpdef list handle(self, object ev)

    @cython.locals(e=tuple, when=double)
    cdef void _run_timers(self, double t, bint inclusive)

    @cython.locals(a=_Agent, call=_Call, q=_Queue)
    cdef void _fire(self, int kind, object obj, object tag, long n)

    cdef void _stale(self, object ev, object call, object agent, object why)

    @cython.locals(q=_Queue, join=double, call=_Call)
    cdef void _on_call_queued(self, object ev)

    @cython.locals(call=_Call, a=_Agent, ringing=list)
    cdef void _on_abandoned(self, object ev)

    @cython.locals(call=_Call, a=_Agent, ringing=list)
    cdef void _on_callback_requested(self, object ev)

    cdef _Agent _agent(self, object ev)

    @cython.locals(a=_Agent)
    cdef void _on_logged_in(self, object ev)

    @cython.locals(a=_Agent, call=_Call)
    cdef void _on_logged_out(self, object ev)

    @cython.locals(a=_Agent)
    cdef void _on_reachable(self, object ev)

    @cython.locals(a=_Agent)
    cdef void _on_paused(self, object ev)

    @cython.locals(a=_Agent)
    cdef void _on_unpaused(self, object ev)

    @cython.locals(call=_Call, a=_Agent)
    cdef _Call _ringing_pair(self, object ev)

    @cython.locals(call=_Call, a=_Agent, x=_Agent, q=_Queue, others=list, wait=double)
    cdef void _on_accepted(self, object ev)

    @cython.locals(call=_Call)
    cdef void _on_no_answer(self, object ev, object why)

    cdef void _no_answer(self, _Call call, _Agent a, object why)

    @cython.locals(call=_Call, a=_Agent)
    cdef void _on_call_ended(self, object ev)

    cdef void _wrap_or_idle(self, _Agent a, double wrap)

    @cython.locals(a=_Agent, call=_Call)
    cdef void _on_busy(self, object ev)

    @cython.locals(a=_Agent, wrap=double)
    cdef void _on_free(self, object ev)

    @cython.locals(a=_Agent)
    cdef void _on_wrapup_ended(self, object ev)
