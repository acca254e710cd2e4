# Cython declarations for acd_core/acd/_engine.py (pure-Python mode): the .py is the source.
cimport cython

cdef object heapify
cdef object heappop
cdef object heappush
cdef object Random
cdef object ConfigError
cdef object STRATEGIES
cdef object AgentAutoPaused
cdef object AgentState
cdef object Announce
cdef object CallbackDue
cdef object Offer
cdef object OfferCallback
cdef object OfferCancelled
cdef object Overflow
cdef object Requeued
cdef object Stale

cdef double INF
cdef int IDLE, RINGING, ONCALL, WRAPUP
cdef int S_LOGGED_OUT, S_UNREACHABLE, S_PAUSED, S_WRAPUP, S_RINGING, S_ONCALL, S_RESTING, S_AVAILABLE
cdef tuple STATUS_NAMES
cdef dict _CONDITION_BITS
cdef int C_WAITING, C_RINGING, C_CONNECTED, C_DONE
cdef int RING_ALL, LONGEST_IDLE, ROUND_ROBIN, FEWEST_CALLS, LEAST_TALK, LINEAR, RANDOM
cdef int WEIGHTED_RANDOM, PROGRESSIVE
cdef tuple METRIC_NAMES
cdef int T_WRAP, T_REST, T_RING, T_STEP, T_MAXWAIT, T_ESC, T_ANN, T_CBOFFER
cdef long TICK_CODE

cdef class _Queue
cdef class _Agent
cdef class _Call


cdef class _Class:
    cdef public tuple key
    cdef public long idx


cdef class _Bucket:
    cdef public _Queue queue
    cdef public _Class cls
    cdef public long prio
    cdef public list calls


cdef class _Queue:
    cdef public object name
    cdef public int strategy
    cdef public double wrapup
    cdef public double max_wait
    cdef public object overflow
    cdef public long max_len
    cdef public long join_mask
    cdef public long leave_mask
    cdef public double announce_every
    cdef public double cb_after
    cdef public double weight
    cdef public double ring_timeout
    cdef public double ring_step
    cdef public list esc_after
    cdef public list esc_pen
    cdef public list esc_lvl
    cdef public int nsteps
    cdef public dict req
    cdef public list members
    cdef public dict classes
    cdef public dict buckets
    cdef public list active
    cdef public long waiting
    cdef public list counts
    cdef public long rr_last
    cdef public long next_pos
    cdef public double ewt


cdef class _Agent:
    cdef public object id
    cdef public long idx
    cdef public dict skills
    cdef public long max_no_answer
    cdef public double retry_delay
    cdef public double wrapup
    cdef public list members
    cdef public bint logged_in
    cdef public bint reachable
    cdef public object paused
    cdef public int activity
    cdef public int status
    cdef public object status_reason
    cdef public double rest_until
    cdef public double wrap_until
    cdef public _Call call
    cdef public long offer_id
    cdef public long no_answer
    cdef public double login_t
    cdef public double last_end
    cdef public double answered
    cdef public long calls
    cdef public double talk


cdef class _Member:
    cdef public _Agent agent
    cdef public _Queue queue
    cdef public long penalty
    cdef public double weight
    cdef public long pos
    cdef public dict memo


cdef class _Call:
    cdef public object id
    cdef public long prio
    cdef public double join
    cdef public long seq
    cdef public bint callback
    cdef public object wanted
    cdef public _Queue queue
    cdef public _Class cls
    cdef public _Bucket bucket
    cdef public double weight
    cdef public double entered
    cdef public long entry
    cdef public long hops
    cdef public int state
    cdef public list ring
    cdef public list tried
    cdef public long ring_cycle
    cdef public _Agent agent
    cdef public bint cb_offered


cdef bint _better(_Call a, _Call b)

@cython.locals(lo=Py_ssize_t, hi=Py_ssize_t, mid=Py_ssize_t, c=_Call)
cdef Py_ssize_t _bisect(list calls, double join, long seq)

@cython.locals(i=int)
cdef int _step(_Queue q, double join, double now)

@cython.locals(q=_Queue, skills=dict, result=int, i=int, ok=bint, cap=double, need=double,
               level=double)
cdef int _threshold(_Member m, _Class cls)

@cython.locals(s=int)
cdef bint _empty(_Queue q, long mask)


cdef class Engine:
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

    @cython.locals(t=double, code=long)
    cpdef list handle(self, object ev)

    cpdef object next_deadline(self)

    cdef void _push(self, double when, int kind, object obj, object tag, long n)

    @cython.locals(a=_Agent, call=_Call)
    cdef bint _valid(self, int kind, object obj, object tag, long n, double when)

    @cython.locals(e=tuple, when=double)
    cdef void _run_timers(self, double t, bint inclusive)

    @cython.locals(a=_Agent, call=_Call, q=_Queue)
    cdef void _fire(self, int kind, object obj, object tag, long n)

    cdef void _offer_callback(self, _Call call)

    cdef int _status(self, _Agent a)

    @cython.locals(st=int, old=int, m=_Member, q=_Queue)
    cdef void _touch(self, _Agent a, object cause)

    @cython.locals(q=_Queue, call=_Call)
    cdef void _settle(self)

    @cython.locals(cls=_Class)
    cdef _Class _class_for(self, _Queue q, object wanted)

    @cython.locals(q=_Queue, b=_Bucket, calls=list, last=_Call)
    cdef void _insert(self, _Call call)

    @cython.locals(b=_Bucket, calls=list)
    cdef void _remove(self, _Call call)

    @cython.locals(pos=long, b=_Bucket)
    cdef long _position(self, _Call call)

    @cython.locals(now=double, i=int, when=double)
    cdef void _enter(self, _Call call, _Queue q)

    @cython.locals(q=_Queue, nq=_Queue)
    cdef void _leave(self, _Call call, object why)

    @cython.locals(q=_Queue)
    cdef void _requeue(self, _Call call, object why)

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

    @cython.locals(m=_Member, q=_Queue)
    cdef void _offer(self, _Call call, list members, object reason)

    @cython.locals(q=_Queue)
    cdef void _ring(self, _Call call, _Agent a, object reason)

    cdef void _emit_cancel(self, _Call call, _Agent a, object why)

    cdef void _release(self, _Agent a, object why)

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

    @cython.locals(call=_Call, a=_Agent, wrap=double)
    cdef void _on_call_ended(self, object ev)
