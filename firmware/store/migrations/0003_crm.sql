-- Callbox schema 3: CRM, access control, audit, rating, retention.
-- Runs inside one transaction with its schema_version row (firmware/store/db.py).

-- Access control ---------------------------------------------------------------

-- Built-in roles are rows too (users.role references them); their permissions
-- come from firmware/crm/permissions.py, custom roles' from role_permissions.
CREATE TABLE roles (
    name         TEXT PRIMARY KEY,
    builtin      INTEGER NOT NULL DEFAULT 0 CHECK (builtin IN (0, 1)),
    description  TEXT NOT NULL DEFAULT ''
);
INSERT INTO roles (name, builtin, description) VALUES
    ('admin', 1, 'everything'),
    ('supervisor', 1, 'runs the floor: customers, tickets, recordings, reports'),
    ('team_leader', 1, 'leads a team: tickets, escalations, supervision'),
    ('agent', 1, 'takes calls, keeps customers and tickets'),
    ('auditor', 1, 'reads the audit log and records, numbers masked');

CREATE TABLE role_permissions (
    role        TEXT NOT NULL REFERENCES roles(name) ON DELETE CASCADE ON UPDATE CASCADE,
    permission  TEXT NOT NULL,
    PRIMARY KEY (role, permission)
) WITHOUT ROWID;

-- users is rebuilt: its role CHECK gives way to the roles table, and it gains a
-- team, a display name and a disabled flag. Dropping the old table ends every
-- open web session (web_sessions cascades), which a role model change should.
CREATE TABLE users_new (
    id             INTEGER PRIMARY KEY,
    username       TEXT NOT NULL UNIQUE,
    password_hash  TEXT NOT NULL,
    role           TEXT NOT NULL REFERENCES roles(name) ON UPDATE CASCADE,
    seat           TEXT,
    created_at     REAL NOT NULL,
    display_name   TEXT NOT NULL DEFAULT '',
    team_id        INTEGER REFERENCES teams(id) ON DELETE SET NULL,
    disabled       INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1))
);
CREATE TABLE teams (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,
    parent_id  INTEGER REFERENCES teams(id) ON DELETE RESTRICT,
    leader_id  INTEGER REFERENCES users(id) ON DELETE SET NULL
);
INSERT INTO users_new (id, username, password_hash, role, seat, created_at)
    SELECT id, username, password_hash, role, seat, created_at FROM users;
DROP TABLE users;
ALTER TABLE users_new RENAME TO users;
CREATE INDEX users_team ON users(team_id);

-- Integration tokens: the secret is shown once; only its sha256 is kept.
CREATE TABLE api_tokens (
    id            INTEGER PRIMARY KEY,
    name          TEXT NOT NULL UNIQUE,
    role          TEXT NOT NULL REFERENCES roles(name) ON UPDATE CASCADE,
    token_sha256  TEXT NOT NULL UNIQUE,
    created_at    REAL NOT NULL,
    created_by    TEXT NOT NULL,
    last_used     REAL,
    revoked_at    REAL
);

-- Key/value settings an admin edits (phone number normalisation).
CREATE TABLE crm_settings (
    key    TEXT PRIMARY KEY,
    value  TEXT NOT NULL
);
INSERT INTO crm_settings (key, value) VALUES
    ('phone.country_code', ''), ('phone.trunk_prefix', '0'),
    ('phone.international_prefix', '00');

-- Customers --------------------------------------------------------------------

CREATE TABLE customers (
    id          INTEGER PRIMARY KEY,        -- also the customer number callers key in
    name        TEXT NOT NULL,
    company     TEXT NOT NULL DEFAULT '',
    email       TEXT NOT NULL DEFAULT '',
    address     TEXT NOT NULL DEFAULT '',
    owner_id    INTEGER REFERENCES users(id) ON DELETE SET NULL,
    custom      TEXT NOT NULL DEFAULT '{}', -- JSON object: custom field name -> value
    created_at  REAL NOT NULL,
    updated_at  REAL NOT NULL
);
CREATE INDEX customers_name ON customers(name COLLATE NOCASE, id);
CREATE INDEX customers_updated ON customers(updated_at, id);
CREATE INDEX customers_owner ON customers(owner_id, name COLLATE NOCASE);

-- Phone numbers in E.164; the index is what makes the screen pop O(log n).
CREATE TABLE customer_phones (
    customer_id  INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    position     INTEGER NOT NULL,
    e164         TEXT NOT NULL,
    label        TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (customer_id, position)
) WITHOUT ROWID;
CREATE INDEX customer_phones_e164 ON customer_phones(e164, customer_id);

CREATE TABLE customer_tags (
    customer_id  INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    tag          TEXT NOT NULL,
    PRIMARY KEY (customer_id, tag)
) WITHOUT ROWID;
CREATE INDEX customer_tags_tag ON customer_tags(tag, customer_id);

-- Substring search on name/company/email (trigram: fragments of 3+ characters).
CREATE VIRTUAL TABLE customers_fts USING fts5(
    name, company, email, content='customers', content_rowid='id', tokenize='trigram');
CREATE TRIGGER customers_fts_ai AFTER INSERT ON customers BEGIN
    INSERT INTO customers_fts(rowid, name, company, email)
        VALUES (new.id, new.name, new.company, new.email);
END;
CREATE TRIGGER customers_fts_ad AFTER DELETE ON customers BEGIN
    INSERT INTO customers_fts(customers_fts, rowid, name, company, email)
        VALUES ('delete', old.id, old.name, old.company, old.email);
END;
CREATE TRIGGER customers_fts_au AFTER UPDATE OF name, company, email ON customers BEGIN
    INSERT INTO customers_fts(customers_fts, rowid, name, company, email)
        VALUES ('delete', old.id, old.name, old.company, old.email);
    INSERT INTO customers_fts(rowid, name, company, email)
        VALUES (new.id, new.name, new.company, new.email);
END;

-- Character pairs of names and companies: the index for two-character searches
-- (most Chinese names), which the trigram index cannot serve. Kept by the store.
CREATE TABLE customer_grams (
    gram         TEXT NOT NULL,
    customer_id  INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    PRIMARY KEY (gram, customer_id)
) WITHOUT ROWID;
CREATE INDEX customer_grams_customer ON customer_grams(customer_id);

CREATE TABLE custom_fields (
    name      TEXT PRIMARY KEY,
    label     TEXT NOT NULL,
    type      TEXT NOT NULL CHECK (type IN ('text', 'number', 'date', 'choice', 'multi-choice')),
    required  INTEGER NOT NULL DEFAULT 0 CHECK (required IN (0, 1)),
    in_list   INTEGER NOT NULL DEFAULT 0 CHECK (in_list IN (0, 1)),
    choices   TEXT NOT NULL DEFAULT '[]',      -- JSON list for choice / multi-choice
    position  INTEGER NOT NULL
);

CREATE TABLE saved_views (
    id        INTEGER PRIMARY KEY,
    owner_id  INTEGER REFERENCES users(id) ON DELETE CASCADE,
    kind      TEXT NOT NULL CHECK (kind IN ('customers', 'tickets')),
    name      TEXT NOT NULL,
    filters   TEXT NOT NULL DEFAULT '{}',      -- JSON: keyword arguments of the list method
    columns   TEXT NOT NULL DEFAULT '[]',      -- JSON list of column names
    shared    INTEGER NOT NULL DEFAULT 0 CHECK (shared IN (0, 1)),
    UNIQUE (owner_id, kind, name)
);

CREATE TABLE customer_notes (
    id           INTEGER PRIMARY KEY,
    customer_id  INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    author       TEXT NOT NULL,
    call_id      TEXT,
    body         TEXT NOT NULL,
    created_at   REAL NOT NULL
);
CREATE INDEX customer_notes_customer ON customer_notes(customer_id, created_at);

-- Tickets ----------------------------------------------------------------------

CREATE TABLE ticket_types (
    name     TEXT PRIMARY KEY,
    label    TEXT NOT NULL,
    builtin  INTEGER NOT NULL DEFAULT 0 CHECK (builtin IN (0, 1))
);
INSERT INTO ticket_types (name, label, builtin) VALUES
    ('complaint', 'Complaint', 1), ('repair', 'Repair', 1), ('inquiry', 'Inquiry', 1);

-- Due time per type and priority; escalate_s is the time between escalation levels.
CREATE TABLE sla (
    type        TEXT NOT NULL REFERENCES ticket_types(name) ON DELETE CASCADE ON UPDATE CASCADE,
    priority    TEXT NOT NULL CHECK (priority IN ('low', 'normal', 'high', 'urgent')),
    due_s       INTEGER NOT NULL CHECK (due_s > 0),
    escalate_s  INTEGER NOT NULL CHECK (escalate_s > 0),
    PRIMARY KEY (type, priority)
) WITHOUT ROWID;
INSERT INTO sla (type, priority, due_s, escalate_s)
    SELECT t.name, p.priority, p.due_s, p.escalate_s FROM ticket_types t,
        (SELECT 'low' AS priority, 259200 AS due_s, 86400 AS escalate_s
         UNION ALL SELECT 'normal', 86400, 14400
         UNION ALL SELECT 'high', 14400, 3600
         UNION ALL SELECT 'urgent', 3600, 1800) p;

CREATE TABLE tickets (
    id                  INTEGER PRIMARY KEY,      -- the ticket number callers key in
    customer_id         INTEGER REFERENCES customers(id) ON DELETE SET NULL,
    type                TEXT NOT NULL REFERENCES ticket_types(name) ON UPDATE CASCADE,
    state               TEXT NOT NULL CHECK (state IN ('new', 'assigned', 'in_progress',
                            'waiting_customer', 'resolved', 'closed')),
    priority            TEXT NOT NULL CHECK (priority IN ('low', 'normal', 'high', 'urgent')),
    subject             TEXT NOT NULL,
    description         TEXT NOT NULL DEFAULT '',
    assignee_id         INTEGER REFERENCES users(id) ON DELETE SET NULL,
    team_id             INTEGER REFERENCES teams(id) ON DELETE SET NULL,
    call_id             TEXT,
    created_by          TEXT NOT NULL,
    created_at          REAL NOT NULL,
    updated_at          REAL NOT NULL,
    due_at              REAL NOT NULL,
    escalation_level    INTEGER NOT NULL DEFAULT 0 CHECK (escalation_level BETWEEN 0 AND 2),
    next_escalation_at  REAL,                 -- NULL: not escalating (done, waiting, top level)
    paused_at           REAL,                 -- waiting for the customer since
    resolved_at         REAL,
    closed_at           REAL
);
CREATE INDEX tickets_customer ON tickets(customer_id, state);
CREATE INDEX tickets_state ON tickets(state, updated_at);
CREATE INDEX tickets_updated ON tickets(updated_at, id);
CREATE INDEX tickets_assignee ON tickets(assignee_id, state);
CREATE INDEX tickets_team ON tickets(team_id, state);
CREATE INDEX tickets_escalation ON tickets(next_escalation_at) WHERE next_escalation_at IS NOT NULL;

CREATE TABLE ticket_events (
    id          INTEGER PRIMARY KEY,
    ticket_id   INTEGER NOT NULL REFERENCES tickets(id) ON DELETE CASCADE,
    ts          REAL NOT NULL,
    actor       TEXT NOT NULL,
    kind        TEXT NOT NULL,          -- created, assign, start, ..., escalated, comment
    from_state  TEXT,
    to_state    TEXT,
    detail      TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX ticket_events_ticket ON ticket_events(ticket_id, id);

-- Desk: announcements and knowledge notes -----------------------------------------

CREATE TABLE announcements (
    id          INTEGER PRIMARY KEY,
    kind        TEXT NOT NULL CHECK (kind IN ('announcement', 'knowledge')),
    title       TEXT NOT NULL,
    body        TEXT NOT NULL,
    author      TEXT NOT NULL,
    team_id     INTEGER REFERENCES teams(id) ON DELETE CASCADE,   -- NULL: everyone
    pinned      INTEGER NOT NULL DEFAULT 0 CHECK (pinned IN (0, 1)),
    created_at  REAL NOT NULL,
    updated_at  REAL NOT NULL,
    expires_at  REAL
);

-- Surveys --------------------------------------------------------------------------

CREATE TABLE surveys (
    id      INTEGER PRIMARY KEY,
    name    TEXT NOT NULL UNIQUE,
    active  INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1))
);
CREATE TABLE survey_questions (
    survey_id  INTEGER NOT NULL REFERENCES surveys(id) ON DELETE CASCADE,
    position   INTEGER NOT NULL,
    text       TEXT NOT NULL,
    choices    TEXT NOT NULL,             -- JSON object: digit -> answer label
    PRIMARY KEY (survey_id, position)
) WITHOUT ROWID;
CREATE TABLE survey_answers (
    id             INTEGER PRIMARY KEY,
    survey_id      INTEGER NOT NULL REFERENCES surveys(id) ON DELETE CASCADE,
    position       INTEGER NOT NULL,
    call_id        TEXT NOT NULL,
    customer_id    INTEGER REFERENCES customers(id) ON DELETE SET NULL,
    caller_number  TEXT NOT NULL DEFAULT '',
    digit          TEXT NOT NULL,
    answer         TEXT NOT NULL,
    ts             REAL NOT NULL
);
CREATE INDEX survey_answers_survey ON survey_answers(survey_id, ts);
CREATE INDEX survey_answers_customer ON survey_answers(customer_id, ts);
CREATE INDEX survey_answers_call ON survey_answers(call_id);

-- Audit log: append-only, hash-chained ---------------------------------------------

CREATE TABLE audit_log (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    ts         REAL NOT NULL,
    actor      TEXT NOT NULL,
    role       TEXT NOT NULL,
    action     TEXT NOT NULL,
    target     TEXT NOT NULL DEFAULT '',
    detail     TEXT NOT NULL DEFAULT '{}',
    prev_hash  TEXT NOT NULL,
    hash       TEXT NOT NULL
);
CREATE INDEX audit_log_ts ON audit_log(ts);
CREATE INDEX audit_log_actor ON audit_log(actor, ts);
CREATE INDEX audit_log_action ON audit_log(action, ts);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
    BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
    BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;

-- Calls: direction, the number dialled out, and the indexes the CRM reads by -----------

ALTER TABLE cdr ADD COLUMN direction TEXT NOT NULL DEFAULT 'in'
    CHECK (direction IN ('in', 'out', 'internal'));
ALTER TABLE cdr ADD COLUMN dialed_number TEXT NOT NULL DEFAULT '';   -- E.164 for 'out'
CREATE INDEX cdr_caller ON cdr(caller_number, started_at);
CREATE INDEX cdr_dialed ON cdr(dialed_number, started_at) WHERE dialed_number <> '';
-- KPI queries read only these columns over a time window (a covering index).
CREATE INDEX cdr_kpi ON cdr(started_at, queue, agent, disposition, wait_s, talk_s);

-- Call rating ------------------------------------------------------------------------

CREATE TABLE rate_tables (
    trunk     TEXT PRIMARY KEY,
    currency  TEXT NOT NULL CHECK (length(currency) = 3)
);
-- Prices in millionths of the currency unit, so sums are exact.
CREATE TABLE rates (
    trunk                 TEXT NOT NULL REFERENCES rate_tables(trunk) ON DELETE CASCADE,
    prefix                TEXT NOT NULL,           -- E.164 digits without '+', '' = any
    price_per_min_micro   INTEGER NOT NULL CHECK (price_per_min_micro >= 0),
    increment_s           INTEGER NOT NULL CHECK (increment_s >= 1),
    connection_fee_micro  INTEGER NOT NULL DEFAULT 0 CHECK (connection_fee_micro >= 0),
    description           TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (trunk, prefix)
) WITHOUT ROWID;

CREATE TABLE cdr_cost (
    cdr_id      TEXT PRIMARY KEY REFERENCES cdr(id) ON DELETE CASCADE,
    started_at  REAL NOT NULL,
    trunk       TEXT NOT NULL,
    prefix      TEXT NOT NULL,
    billed_s    INTEGER NOT NULL,
    cost_micro  INTEGER NOT NULL,
    currency    TEXT NOT NULL,
    rated_at    REAL NOT NULL
);
CREATE INDEX cdr_cost_started ON cdr_cost(started_at);

-- The one definition of a call's price: the longest matching prefix of the trunk's
-- table; talk time rounded to milliseconds, then up to whole billing increments;
-- an unanswered call (no talk time) costs nothing, not even the connection fee.
CREATE VIEW cdr_rating AS
SELECT c.id AS cdr_id, c.started_at AS started_at, c.trunk AS trunk, r.prefix AS prefix,
       CASE WHEN c.ms = 0 THEN 0
            ELSE ((c.ms + r.increment_s * 1000 - 1) / (r.increment_s * 1000)) * r.increment_s
       END AS billed_s,
       CASE WHEN c.ms = 0 THEN 0
            ELSE r.connection_fee_micro
                 + ((((c.ms + r.increment_s * 1000 - 1) / (r.increment_s * 1000)) * r.increment_s)
                    * r.price_per_min_micro + 30) / 60
       END AS cost_micro,
       t.currency AS currency
FROM (SELECT id, started_at, trunk, direction,
             CAST(round(talk_s * 1000) AS INTEGER) AS ms,
             ltrim(dialed_number, '+') AS digits
      FROM cdr) c
JOIN rate_tables t ON t.trunk = c.trunk
JOIN rates r ON r.trunk = c.trunk AND r.prefix = (
    SELECT r2.prefix FROM rates r2
    WHERE r2.trunk = c.trunk AND r2.prefix IN (
        '', substr(c.digits, 1, 1), substr(c.digits, 1, 2), substr(c.digits, 1, 3),
        substr(c.digits, 1, 4), substr(c.digits, 1, 5), substr(c.digits, 1, 6),
        substr(c.digits, 1, 7), substr(c.digits, 1, 8), substr(c.digits, 1, 9),
        substr(c.digits, 1, 10), substr(c.digits, 1, 11), substr(c.digits, 1, 12),
        substr(c.digits, 1, 13), substr(c.digits, 1, 14), substr(c.digits, 1, 15))
    ORDER BY length(r2.prefix) DESC LIMIT 1)
WHERE c.direction = 'out';

-- Every outbound call is rated in the transaction that writes its record, and again
-- when the record is completed later (a flow may write it at the call's start).
CREATE TRIGGER cdr_rate_on_insert AFTER INSERT ON cdr WHEN new.direction = 'out' BEGIN
    INSERT INTO cdr_cost (cdr_id, started_at, trunk, prefix, billed_s, cost_micro, currency,
                          rated_at)
        SELECT cdr_id, started_at, trunk, prefix, billed_s, cost_micro, currency,
               CAST(strftime('%s', 'now') AS REAL)
        FROM cdr_rating WHERE cdr_id = new.id;
END;
CREATE TRIGGER cdr_rate_on_update
    AFTER UPDATE OF talk_s, trunk, direction, dialed_number, started_at ON cdr BEGIN
    DELETE FROM cdr_cost WHERE cdr_id = new.id;
    INSERT INTO cdr_cost (cdr_id, started_at, trunk, prefix, billed_s, cost_micro, currency,
                          rated_at)
        SELECT cdr_id, started_at, trunk, prefix, billed_s, cost_micro, currency,
               CAST(strftime('%s', 'now') AS REAL)
        FROM cdr_rating WHERE cdr_id = new.id;
END;

-- Daily call statistics per queue and agent, kept by triggers: month-long reports
-- read a few hundred rows instead of a hundred thousand CDRs, and the figures
-- outlive the CDRs a retention purge deletes (privacy erase only anonymises).
CREATE TABLE cdr_daily (
    day        TEXT NOT NULL,          -- YYYY-MM-DD, UTC
    queue      TEXT NOT NULL,
    agent      TEXT NOT NULL,
    offered    INTEGER NOT NULL,
    answered   INTEGER NOT NULL,
    abandoned  INTEGER NOT NULL,
    in_sl      INTEGER NOT NULL,       -- answered within the queue's threshold (20 s default)
    wait_sum   REAL NOT NULL,          -- of answered calls
    talk_sum   REAL NOT NULL,          -- of answered calls
    PRIMARY KEY (day, queue, agent)
) WITHOUT ROWID;
CREATE TRIGGER cdr_daily_on_insert AFTER INSERT ON cdr BEGIN
    INSERT INTO cdr_daily (day, queue, agent, offered, answered, abandoned, in_sl, wait_sum,
                           talk_sum)
    VALUES (date(new.started_at, 'unixepoch'), new.queue, new.agent, 1,
            new.disposition = 'answered', new.disposition = 'abandoned',
            new.disposition = 'answered' AND new.wait_s <= coalesce(
                (SELECT sl_threshold_s FROM queues WHERE name = new.queue), 20),
            CASE WHEN new.disposition = 'answered' THEN new.wait_s ELSE 0 END,
            CASE WHEN new.disposition = 'answered' THEN new.talk_s ELSE 0 END)
    ON CONFLICT (day, queue, agent) DO UPDATE SET
        offered = offered + excluded.offered, answered = answered + excluded.answered,
        abandoned = abandoned + excluded.abandoned, in_sl = in_sl + excluded.in_sl,
        wait_sum = wait_sum + excluded.wait_sum, talk_sum = talk_sum + excluded.talk_sum;
END;
CREATE TRIGGER cdr_daily_on_update
    AFTER UPDATE OF started_at, queue, agent, disposition, wait_s, talk_s ON cdr BEGIN
    UPDATE cdr_daily SET offered = offered - 1,
        answered = answered - (old.disposition = 'answered'),
        abandoned = abandoned - (old.disposition = 'abandoned'),
        in_sl = in_sl - (old.disposition = 'answered' AND old.wait_s <= coalesce(
            (SELECT sl_threshold_s FROM queues WHERE name = old.queue), 20)),
        wait_sum = wait_sum - CASE WHEN old.disposition = 'answered' THEN old.wait_s ELSE 0 END,
        talk_sum = talk_sum - CASE WHEN old.disposition = 'answered' THEN old.talk_s ELSE 0 END
    WHERE day = date(old.started_at, 'unixepoch') AND queue = old.queue AND agent = old.agent;
    INSERT INTO cdr_daily (day, queue, agent, offered, answered, abandoned, in_sl, wait_sum,
                           talk_sum)
    VALUES (date(new.started_at, 'unixepoch'), new.queue, new.agent, 1,
            new.disposition = 'answered', new.disposition = 'abandoned',
            new.disposition = 'answered' AND new.wait_s <= coalesce(
                (SELECT sl_threshold_s FROM queues WHERE name = new.queue), 20),
            CASE WHEN new.disposition = 'answered' THEN new.wait_s ELSE 0 END,
            CASE WHEN new.disposition = 'answered' THEN new.talk_s ELSE 0 END)
    ON CONFLICT (day, queue, agent) DO UPDATE SET
        offered = offered + excluded.offered, answered = answered + excluded.answered,
        abandoned = abandoned + excluded.abandoned, in_sl = in_sl + excluded.in_sl,
        wait_sum = wait_sum + excluded.wait_sum, talk_sum = talk_sum + excluded.talk_sum;
END;
-- CDRs already stored when this migration runs.
INSERT INTO cdr_daily (day, queue, agent, offered, answered, abandoned, in_sl, wait_sum,
                       talk_sum)
SELECT date(c.started_at, 'unixepoch'), c.queue, c.agent, COUNT(*),
       SUM(c.disposition = 'answered'), SUM(c.disposition = 'abandoned'),
       SUM(c.disposition = 'answered' AND c.wait_s <= coalesce(q.sl_threshold_s, 20)),
       coalesce(SUM(CASE WHEN c.disposition = 'answered' THEN c.wait_s END), 0),
       coalesce(SUM(CASE WHEN c.disposition = 'answered' THEN c.talk_s END), 0)
FROM cdr c LEFT JOIN queues q ON q.name = c.queue
GROUP BY 1, 2, 3;

-- Records retention ---------------------------------------------------------------------

-- Days to keep, per record kind and queue ('' = every queue without its own rule).
CREATE TABLE retention_rules (
    kind   TEXT NOT NULL CHECK (kind IN ('cdr', 'recording')),
    queue  TEXT NOT NULL DEFAULT '',
    days   INTEGER NOT NULL CHECK (days >= 1),
    PRIMARY KEY (kind, queue)
) WITHOUT ROWID;

-- Imports: one row per run, kept for the rejected-rows download and the history.
CREATE TABLE imports (
    id          INTEGER PRIMARY KEY,
    actor       TEXT NOT NULL,
    filename    TEXT NOT NULL,
    started_at  REAL NOT NULL,
    finished_at REAL,
    state       TEXT NOT NULL CHECK (state IN ('running', 'done', 'failed')),
    summary     TEXT NOT NULL DEFAULT '{}'
);
