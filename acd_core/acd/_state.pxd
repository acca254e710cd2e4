# Cython declarations for acd_core/acd/_state.py (pure-Python mode): the .py is the source.
cimport cython

from acd_core.acd._records cimport _Agent, _Bucket, _Call, _Class, _Member, _Queue

cdef object heapify
cdef object heappop
cdef object heappush
cdef object Random
cdef object AgentState

cdef double INF
cdef int RINGING, ONCALL, WRAPUP
cdef int S_LOGGED_OUT, S_UNREACHABLE, S_PAUSED, S_WRAPUP, S_RINGING, S_ONCALL, S_RESTING, S_AVAILABLE
cdef tuple STATUS_NAMES
cdef int C_WAITING, C_RINGING, C_DONE
cdef int T_WRAP, T_REST, T_RING, T_STEP, T_ESC, T_CBOFFER


@cython.locals(lo=Py_ssize_t, hi=Py_ssize_t, mid=Py_ssize_t, c=_Call)
cdef Py_ssize_t _bisect(list calls, double join, long seq)


cdef class _State:
    cdef dict _queues
    cdef dict _agents
    cdef dict _calls
    cdef list _timers
    cdef long _tseq
    cdef long _compact_at
    cdef long _seq
    cdef long _offer_seq
    cdef double _now
    cdef list _out
    cdef list _dirty
    cdef object _rng
    cdef public object seed

    cpdef object next_deadline(self)

    cdef void _push(self, double when, int kind, object obj, object tag, long n)

    @cython.locals(a=_Agent, call=_Call)
    cdef bint _valid(self, int kind, object obj, object tag, long n, double when)

    cdef int _status(self, _Agent a)

    @cython.locals(st=int, old=int, m=_Member, q=_Queue)
    cdef void _touch(self, _Agent a, object cause)

    @cython.locals(cls=_Class)
    cdef _Class _class_for(self, _Queue q, object wanted)

    @cython.locals(q=_Queue, b=_Bucket, calls=list, last=_Call)
    cdef void _insert(self, _Call call)

    @cython.locals(b=_Bucket, calls=list)
    cdef void _remove(self, _Call call)

    @cython.locals(pos=long, b=_Bucket)
    cdef long _position(self, _Call call)
