-- Callbox schema 1. Times are REAL seconds since the Unix epoch (UTC).
-- Runs inside one transaction with its schema_version row (firmware/store/db.py).

-- Configuration an admin edits at run time -----------------------------------

CREATE TABLE trunks (
    id        INTEGER PRIMARY KEY,
    name      TEXT NOT NULL UNIQUE,
    kind      TEXT NOT NULL CHECK (kind IN ('sip-ip')),
    enabled   INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1))
);

-- Source networks an IP-authenticated trunk is trusted from (Kamailio `address`).
CREATE TABLE trunk_sources (
    trunk_id  INTEGER NOT NULL REFERENCES trunks(id) ON DELETE CASCADE,
    cidr      TEXT NOT NULL,
    PRIMARY KEY (trunk_id, cidr)
);

CREATE TABLE queues (
    id              INTEGER PRIMARY KEY,
    name            TEXT NOT NULL UNIQUE,
    strategy        TEXT NOT NULL,            -- acd_core.acd.model.STRATEGIES
    wrapup_s        INTEGER NOT NULL CHECK (wrapup_s >= 0),
    ring_timeout_s  INTEGER NOT NULL CHECK (ring_timeout_s > 0),
    max_wait_s      INTEGER NOT NULL CHECK (max_wait_s >= 0),   -- 0: no limit
    sl_threshold_s  INTEGER NOT NULL CHECK (sl_threshold_s > 0),
    moh_file        TEXT NOT NULL DEFAULT ''
);

CREATE TABLE ivr_menus (
    id           INTEGER PRIMARY KEY,
    name         TEXT NOT NULL UNIQUE,
    prompt_file  TEXT NOT NULL,
    prompt_text  TEXT NOT NULL DEFAULT '',
    timeout_s    INTEGER NOT NULL CHECK (timeout_s > 0),
    retries      INTEGER NOT NULL CHECK (retries >= 0)
);

CREATE TABLE ivr_options (
    menu_id   INTEGER NOT NULL REFERENCES ivr_menus(id) ON DELETE CASCADE,
    digit     TEXT NOT NULL CHECK (length(digit) = 1),
    queue_id  INTEGER NOT NULL REFERENCES queues(id) ON DELETE RESTRICT,
    PRIMARY KEY (menu_id, digit)
);

CREATE TABLE seats (
    id            INTEGER PRIMARY KEY,
    extension     TEXT NOT NULL UNIQUE,
    display_name  TEXT NOT NULL DEFAULT '',
    ha1           TEXT NOT NULL            -- md5(user:realm:password), never the password
);

CREATE TABLE seat_queues (
    seat_id   INTEGER NOT NULL REFERENCES seats(id) ON DELETE CASCADE,
    queue_id  INTEGER NOT NULL REFERENCES queues(id) ON DELETE CASCADE,
    penalty   INTEGER NOT NULL CHECK (penalty BETWEEN 0 AND 99),   -- 0: first choice
    PRIMARY KEY (seat_id, queue_id)
);

-- A DID routes to exactly one IVR menu, queue or seat.
CREATE TABLE dids (
    number    TEXT PRIMARY KEY,
    ivr_id    INTEGER REFERENCES ivr_menus(id) ON DELETE RESTRICT,
    queue_id  INTEGER REFERENCES queues(id) ON DELETE RESTRICT,
    seat_id   INTEGER REFERENCES seats(id) ON DELETE RESTRICT,
    trunk_id  INTEGER REFERENCES trunks(id) ON DELETE RESTRICT,   -- NULL: any trunk
    CHECK ((ivr_id IS NOT NULL) + (queue_id IS NOT NULL) + (seat_id IS NOT NULL) = 1)
);

CREATE TABLE users (
    id             INTEGER PRIMARY KEY,
    username       TEXT NOT NULL UNIQUE,
    password_hash  TEXT NOT NULL,
    role           TEXT NOT NULL CHECK (role IN ('admin', 'supervisor', 'agent')),
    seat           TEXT,                   -- extension an agent works at
    created_at     REAL NOT NULL
);

-- Web sessions: the cookie carries a random token, the database only its sha256.
CREATE TABLE web_sessions (
    token_sha256  TEXT PRIMARY KEY,
    user_id       INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    csrf          TEXT NOT NULL,
    created_at    REAL NOT NULL,
    last_seen     REAL NOT NULL
);

-- Secrets generated once on this box (web cookie signing key ...).
CREATE TABLE secrets (
    name   TEXT PRIMARY KEY,
    value  BLOB NOT NULL
);

-- Records -------------------------------------------------------------------

CREATE TABLE cdr (
    id                 TEXT PRIMARY KEY,      -- uuid
    started_at         REAL NOT NULL,         -- call reached the box
    answered_at        REAL,                  -- the box answered (IVR / queue)
    ring_started_at    REAL,                  -- first agent offer rang
    agent_answered_at  REAL,
    ended_at           REAL NOT NULL,
    caller_number      TEXT NOT NULL DEFAULT '',
    caller_name        TEXT NOT NULL DEFAULT '',
    did                TEXT NOT NULL DEFAULT '',
    trunk              TEXT NOT NULL DEFAULT '',
    queue              TEXT NOT NULL DEFAULT '',
    agent              TEXT NOT NULL DEFAULT '',
    wait_s             REAL NOT NULL DEFAULT 0 CHECK (wait_s >= 0),
    talk_s             REAL NOT NULL DEFAULT 0 CHECK (talk_s >= 0),
    disposition        TEXT NOT NULL CHECK (disposition IN
                         ('answered', 'abandoned', 'failed', 'no-agent', 'no-choice', 'rejected')),
    hangup_by          TEXT NOT NULL CHECK (hangup_by IN ('caller', 'agent', 'system')),
    recording          TEXT NOT NULL DEFAULT '',   -- relative to var/recordings
    failure_reason     TEXT NOT NULL DEFAULT ''
);
CREATE INDEX cdr_started ON cdr(started_at);
CREATE INDEX cdr_queue ON cdr(queue, started_at);
CREATE INDEX cdr_agent ON cdr(agent, started_at);

-- Asterisk-style queue events (queue_log): the source of queue KPIs.
CREATE TABLE queue_log (
    id             INTEGER PRIMARY KEY,
    ts             REAL NOT NULL,
    call_id        TEXT NOT NULL,
    queue          TEXT NOT NULL,
    agent          TEXT NOT NULL DEFAULT '',
    event          TEXT NOT NULL,
    position       INTEGER,
    orig_position  INTEGER,
    wait_s         REAL,
    talk_s         REAL,
    ring_s         REAL,
    info           TEXT NOT NULL DEFAULT ''
);
CREATE INDEX queue_log_call ON queue_log(call_id, id);
CREATE INDEX queue_log_queue ON queue_log(queue, ts);

-- Append-only event log fed from firmware.events.EventBus (incl. "acd.trace").
CREATE TABLE event_log (
    seq   INTEGER PRIMARY KEY AUTOINCREMENT,
    ts    REAL NOT NULL,
    kind  TEXT NOT NULL,
    data  TEXT NOT NULL        -- JSON object
);
CREATE INDEX event_log_kind ON event_log(kind, ts);
CREATE INDEX event_log_ts ON event_log(ts);

-- Finished recordings only (the file is final before its row exists).
CREATE TABLE recordings (
    path        TEXT PRIMARY KEY,      -- relative to var/recordings, e.g. 2026/11/27/<call>.wav
    call_id     TEXT NOT NULL,
    seconds     REAL NOT NULL CHECK (seconds >= 0),
    bytes       INTEGER NOT NULL CHECK (bytes >= 0),
    created_at  REAL NOT NULL
);
CREATE INDEX recordings_call ON recordings(call_id);
