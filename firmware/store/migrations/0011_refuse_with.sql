-- How a queue refuses a caller before answering when nobody would take the call (its
-- join-when-empty or leave-when-empty rule, or max_len, refuses and no overflow takes
-- it): 'busy' (SIP 486, Q.850 cause 17, MFC-R2 group B busy) or 'congestion' (SIP 503,
-- cause 41, group B congestion). docs/inbound.md, "Refused before answering".
ALTER TABLE queue_rules ADD COLUMN refuse_with TEXT NOT NULL DEFAULT 'busy'
    CHECK (refuse_with IN ('busy', 'congestion'));
