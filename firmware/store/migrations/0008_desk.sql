-- The agent desk: wrap-up dispositions and pause reasons (configurable lists), the
-- disposition each agent gave each call, recording rules and what each recording file
-- is, outbound campaigns with their records, and the do-not-call list.

CREATE TABLE dispositions (
    code        TEXT PRIMARY KEY,           -- what the desk sends: "sale", "callback"
    label       TEXT NOT NULL,
    position    INTEGER NOT NULL DEFAULT 0,
    active      INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1))
);
INSERT INTO dispositions (code, label, position) VALUES
    ('resolved', 'Resolved', 1), ('follow-up', 'Needs follow-up', 2),
    ('sale', 'Sale', 3), ('no-sale', 'No sale', 4), ('wrong-number', 'Wrong number', 5);

CREATE TABLE pause_reasons (
    code        TEXT PRIMARY KEY,
    label       TEXT NOT NULL,
    position    INTEGER NOT NULL DEFAULT 0,
    active      INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1))
);
INSERT INTO pause_reasons (code, label, position) VALUES
    ('break', 'Break', 1), ('lunch', 'Lunch', 2), ('meeting', 'Meeting', 3),
    ('training', 'Training', 4), ('admin', 'Back-office work', 5);

-- One row per call and agent: what the agent said the call was about (wrap-up).
CREATE TABLE call_dispositions (
    call_id     TEXT NOT NULL,
    agent       TEXT NOT NULL,              -- the seat extension
    code        TEXT NOT NULL REFERENCES dispositions (code) ON UPDATE CASCADE,
    note        TEXT NOT NULL DEFAULT '',
    ts          REAL NOT NULL,
    PRIMARY KEY (call_id, agent)
);
CREATE INDEX call_dispositions_ts ON call_dispositions (ts);

-- Which calls are recorded: the most specific rule wins (agent, then queue, then all).
CREATE TABLE recording_rules (
    scope       TEXT NOT NULL CHECK (scope IN ('all', 'queue', 'agent')),
    target      TEXT NOT NULL DEFAULT '',   -- queue name or seat extension; '' for all
    mode        TEXT NOT NULL CHECK (mode IN ('always', 'on_demand', 'never')),
    announce    INTEGER NOT NULL DEFAULT 0 CHECK (announce IN (0, 1)),
    stereo      INTEGER NOT NULL DEFAULT 0 CHECK (stereo IN (0, 1)),
    PRIMARY KEY (scope, target)
);
INSERT INTO recording_rules (scope, target, mode) VALUES ('all', '', 'always');

-- What a recording file is, beside the recordings index (numbers stay in the CDR).
CREATE TABLE recording_meta (
    path        TEXT PRIMARY KEY,           -- relative to var/recordings, as in recordings
    call_id     TEXT NOT NULL,
    channels    INTEGER NOT NULL CHECK (channels IN (1, 2)),
    layout      TEXT NOT NULL,              -- 'mixed' | 'caller-left agent-right'
    agent       TEXT NOT NULL DEFAULT '',
    queue       TEXT NOT NULL DEFAULT '',
    direction   TEXT NOT NULL DEFAULT 'in' CHECK (direction IN ('in', 'out')),
    trigger     TEXT NOT NULL,              -- 'rule' | 'on_demand'
    started_at  REAL NOT NULL,
    ended_at    REAL
);
CREATE INDEX recording_meta_call ON recording_meta (call_id);
CREATE INDEX recording_meta_agent ON recording_meta (agent, started_at);

CREATE TABLE campaigns (
    id            INTEGER PRIMARY KEY,
    name          TEXT NOT NULL UNIQUE,
    queue         TEXT NOT NULL,            -- whose agents take the calls, and its caller ID
    caller_id     TEXT NOT NULL DEFAULT '', -- '' = the queue's
    state         TEXT NOT NULL DEFAULT 'draft'
                  CHECK (state IN ('draft', 'running', 'paused', 'finished')),
    hours_start   TEXT NOT NULL DEFAULT '09:00',   -- local time, HH:MM
    hours_end     TEXT NOT NULL DEFAULT '18:00',
    days          TEXT NOT NULL DEFAULT '12345',   -- ISO weekdays, 1 = Monday
    max_attempts  INTEGER NOT NULL DEFAULT 3 CHECK (max_attempts BETWEEN 1 AND 20),
    retry_s       INTEGER NOT NULL DEFAULT 600 CHECK (retry_s BETWEEN 10 AND 604800),
    backoff       REAL NOT NULL DEFAULT 2.0 CHECK (backoff BETWEEN 1.0 AND 10.0),
    ring_timeout_s INTEGER NOT NULL DEFAULT 30 CHECK (ring_timeout_s BETWEEN 5 AND 120),
    created_at    REAL NOT NULL
);

CREATE TABLE campaign_records (
    id          INTEGER PRIMARY KEY,
    campaign_id INTEGER NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    line        INTEGER NOT NULL,           -- line of the imported CSV
    number      TEXT NOT NULL,              -- as dialled (digits, optional leading +)
    name        TEXT NOT NULL DEFAULT '',
    data        TEXT NOT NULL DEFAULT '{}', -- JSON: the row's other columns
    state       TEXT NOT NULL DEFAULT 'pending'
                CHECK (state IN ('pending', 'dialing', 'done')),
    result      TEXT CHECK (result IN ('answered', 'busy', 'no-answer', 'invalid', 'dnc',
                                       'failed')),
    attempts    INTEGER NOT NULL DEFAULT 0,
    next_at     REAL NOT NULL DEFAULT 0,    -- wall-clock time of the next attempt
    last_at     REAL,
    call_id     TEXT,
    agent       TEXT,
    UNIQUE (campaign_id, number)
);
CREATE INDEX campaign_records_due ON campaign_records (campaign_id, state, next_at);

CREATE TABLE dnc (
    number      TEXT PRIMARY KEY,           -- digits, optional leading +
    note        TEXT NOT NULL DEFAULT '',
    added_at    REAL NOT NULL,
    expires_at  REAL                        -- NULL: for ever
);

-- The number (and name) a queue's outbound calls present: click-to-call, campaigns,
-- a seat dialling out. '' leaves it to the trunk's route.
CREATE TABLE queue_outbound (
    queue       TEXT PRIMARY KEY,
    caller_id   TEXT NOT NULL DEFAULT '',
    caller_name TEXT NOT NULL DEFAULT ''
);

-- Each agent's log-in and pause as last set, restored when the daemon starts
-- (no row: logged in, not paused).
CREATE TABLE agent_sessions (
    agent       TEXT PRIMARY KEY,           -- the seat extension
    logged_in   INTEGER NOT NULL CHECK (logged_in IN (0, 1)),
    paused      TEXT,                       -- the pause reason, NULL when not paused
    updated_at  REAL NOT NULL
);

-- What a seat's phone can do for the desk: answer a ringing call when asked (a SIP
-- NOTIFY with Event: talk, which phones with "remote answer" enabled honour).
CREATE TABLE seat_options (
    extension      TEXT PRIMARY KEY,
    remote_answer  INTEGER NOT NULL DEFAULT 0 CHECK (remote_answer IN (0, 1))
);
