-- A call's record from its first moment: one row per call in progress, rewritten at
-- each stage (started, answered, queued, connected, ended) with everything known so far,
-- and replaced by the call's CDR, in one transaction, when the call is finished. A row
-- left here after a crash says how far its call got; the next start turns it into a CDR.
CREATE TABLE calls_live (
    id          TEXT PRIMARY KEY,        -- the call's id (the CDR's id)
    stage       TEXT NOT NULL,
    updated_at  REAL NOT NULL,           -- wall-clock time of the last stage
    record      TEXT NOT NULL            -- JSON: the CallRecord's fields so far
);
