# Cython declarations for acd_core/acd/_strategies.py (pure-Python mode): the .py is the source.
cimport cython

from acd_core.acd._records cimport _Agent, _Bucket, _Call, _Class, _Member, _Queue
from acd_core.acd._offers cimport _Offers

cdef object STRATEGIES
cdef double INF
cdef int C_WAITING, S_AVAILABLE, T_STEP
cdef tuple STATUS_NAMES, METRIC_NAMES
cdef int RING_ALL, LONGEST_IDLE, ROUND_ROBIN, FEWEST_CALLS, LEAST_TALK, LINEAR, RANDOM
cdef int WEIGHTED_RANDOM, PROGRESSIVE


cdef bint _better(_Call a, _Call b)

@cython.locals(i=int)
cdef int _step(_Queue q, double join, double now)

@cython.locals(q=_Queue, skills=dict, result=int, i=int, ok=bint, cap=double, need=double,
               level=double)
cdef int _threshold(_Member m, _Class cls)


cdef class _Strategies(_Offers):
    @cython.locals(best=_Call, m=_Member, q=_Queue, b=_Bucket, head=_Call, thr=int)
    cdef _Call _best_call(self, _Agent a)

    @cython.locals(best=_Call, bm=_Member, m=_Member, q=_Queue, b=_Bucket, head=_Call, thr=int,
                   at=double, now=double, considered=list, skipped=list)
    cdef void _serve_agent(self, _Agent a, object trigger)

    @cython.locals(q=_Queue, m=_Member, best=_Call, chosen=list, retry=bint)
    cdef void _serve_call(self, _Call call, object trigger)

    @cython.locals(q=_Queue, step=int, cls=_Class, m=_Member, a=_Agent,
                   strategy=int, cands=list, eligible=list, skipped=list,
                   best_pen=long, chosen=list, pick=_Member, first=_Member, draw=double,
                   tier=list, total=double, acc=double, val=double, best_val=double, thr=int)
    cdef tuple _choose(self, _Call call, object trigger)

    @cython.locals(a=_Agent)
    cdef double _metric(self, int strategy, _Member m, _Queue q)

    @cython.locals(q=_Queue, step=int, pick=_Member, m=_Member, a=_Agent, skipped=list)
    cdef void _ring_step(self, _Call call)
