# Cython declarations for acd_core/acd/_records.py (pure-Python mode): the .py is the source.

cdef object STRATEGIES
cdef dict CONDITION_BITS
cdef double INF
cdef int IDLE, S_LOGGED_OUT, C_WAITING

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
    cdef public long busy


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


cdef long _mask(object conditions)
