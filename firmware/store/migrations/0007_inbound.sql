-- Inbound features (issue 20): routes by trunk and DID with schedules, caller lists,
-- schedules and holidays, IVR trees, named prompts, queue rules, voicemail, callbacks,
-- survey scales and the CDR's outcome. Targets are written as text everywhere
-- ("ivr:main", "queue:support", "seat:201", "voicemail:sales", "number:+8610...",
-- "message:closed", "hangup"); firmware/store/inbound.py checks that the thing named exists
-- when a row is written, and the triggers at the end refuse to delete anything a route,
-- a list entry, a queue rule, an IVR tree or a schedule still names.

-- Schedules: weekly hours plus dated holidays and exceptions, as one checked JSON
-- document ({"weekly": {"mon": [["09:00", "18:00"]], ...}, "days": {"2026-10-01":
-- {"closed": true, "note": "...", "target": "message:holiday"}}}).
CREATE TABLE schedules (
    name      TEXT PRIMARY KEY,
    timezone  TEXT NOT NULL DEFAULT 'UTC',
    doc       TEXT NOT NULL DEFAULT '{}'
);

-- Routes: the DID table of schema 1 (one row per number, one foreign key per kind of
-- target, the trunk as a row id) becomes one row per (number, trunk). ``number`` is a
-- DID, a prefix ending in '*' or '*' alone (any number); ``trunk`` '' is any line, else
-- a SIP trunk's name or a line group ('e1', 'e1/1', 'e1/1/5', 'fxo', 'fxo/2').
CREATE TABLE dids_new (
    number         TEXT NOT NULL,
    trunk          TEXT NOT NULL DEFAULT '',
    target         TEXT NOT NULL,
    schedule       TEXT NOT NULL DEFAULT '',     -- '' always open
    closed_target  TEXT NOT NULL DEFAULT '',     -- where calls go while the schedule is closed
    note           TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (number, trunk)
);
INSERT INTO dids_new (number, trunk, target)
    SELECT d.number, coalesce(t.name, ''),
           CASE WHEN d.ivr_id IS NOT NULL THEN 'ivr:' || i.name
                WHEN d.queue_id IS NOT NULL THEN 'queue:' || q.name
                ELSE 'seat:' || s.extension END
    FROM dids d
    LEFT JOIN trunks t ON t.id = d.trunk_id
    LEFT JOIN ivr_menus i ON i.id = d.ivr_id
    LEFT JOIN queues q ON q.id = d.queue_id
    LEFT JOIN seats s ON s.id = d.seat_id;
DROP TABLE dids;
ALTER TABLE dids_new RENAME TO dids;

-- IVR trees: a menu of schema 1 keeps its row (and DIDs of old keep pointing at it by
-- name); ``tree`` holds the whole checked tree as JSON, '' for a one-level menu of old
-- (prompt_file + ivr_options), which the IVR engine runs as a tree of one menu.
ALTER TABLE ivr_menus ADD COLUMN tree TEXT NOT NULL DEFAULT '';

-- Named prompts: an uploaded WAV (relative to var/prompts) or texts per language that
-- espeak-ng speaks ({"en": "...", "zh": "..."}). A prompt field names one as
-- "prompt:<name>"; a "message:<name>" target plays it and hangs up.
CREATE TABLE prompts (
    name   TEXT PRIMARY KEY,
    file   TEXT NOT NULL DEFAULT '',
    texts  TEXT NOT NULL DEFAULT '{}'
);

-- Black list ('block') and white list ('vip'). ``number`` is a number (E.164 when it
-- could be normalised) or a prefix ending in '*'. A blocked caller goes to ``target``
-- ('hangup', 'message:<prompt>', 'seat:<ext>', ...); a VIP gets ``priority`` added to
-- its ACD priority and, when ``target`` is set, a dedicated queue or seat.
CREATE TABLE caller_lists (
    id          INTEGER PRIMARY KEY,
    kind        TEXT NOT NULL CHECK (kind IN ('block', 'vip')),
    number      TEXT NOT NULL,
    target      TEXT NOT NULL DEFAULT '',
    priority    INTEGER NOT NULL DEFAULT 0 CHECK (priority BETWEEN 0 AND 100),
    expires_at  REAL,
    note        TEXT NOT NULL DEFAULT '',
    created_at  REAL NOT NULL,
    UNIQUE (kind, number)
);

-- What a queue does for its callers beyond schema 1's columns (max_wait_s stays there).
CREATE TABLE queue_rules (
    queue_id                INTEGER PRIMARY KEY REFERENCES queues(id) ON DELETE CASCADE,
    max_len                 INTEGER CHECK (max_len IS NULL OR max_len >= 0),
    join_empty              TEXT NOT NULL DEFAULT '',    -- conditions, comma-separated
    leave_empty             TEXT NOT NULL DEFAULT '',
    overflow                TEXT NOT NULL DEFAULT '',    -- target; '' = play 'no agent', hang up
    announce_every_s        INTEGER,                     -- position / wait announcements
    announce_position       INTEGER NOT NULL DEFAULT 1,
    announce_wait           INTEGER NOT NULL DEFAULT 1,
    periodic_prompt         TEXT NOT NULL DEFAULT '',    -- prompt name
    periodic_every_s        INTEGER,
    exit_key                TEXT NOT NULL DEFAULT '',
    exit_target             TEXT NOT NULL DEFAULT '',    -- a target or 'callback'
    callback_offer_after_s  INTEGER,
    callback_attempts       INTEGER NOT NULL DEFAULT 3,
    callback_retry_s        INTEGER NOT NULL DEFAULT 120,
    announce_agent          INTEGER NOT NULL DEFAULT 0,
    whisper                 INTEGER NOT NULL DEFAULT 0,
    survey                  TEXT NOT NULL DEFAULT '',    -- surveys.name
    language                TEXT NOT NULL DEFAULT 'en'
);

-- Voicemail boxes and their messages. A message's WAV is indexed in ``recordings`` like
-- a call's; a box that still holds messages cannot be deleted.
CREATE TABLE voicemail_boxes (
    name         TEXT PRIMARY KEY,
    greeting     TEXT NOT NULL DEFAULT '',       -- prompt name; '' the built-in greeting
    max_s        INTEGER NOT NULL DEFAULT 120 CHECK (max_s BETWEEN 5 AND 600),
    ticket_type  TEXT NOT NULL DEFAULT '',       -- '' no ticket; else each message opens one
    language     TEXT NOT NULL DEFAULT 'en'
);
CREATE TABLE voicemails (
    id             INTEGER PRIMARY KEY,
    box            TEXT NOT NULL REFERENCES voicemail_boxes(name) ON DELETE RESTRICT,
    call_id        TEXT NOT NULL,
    caller_number  TEXT NOT NULL DEFAULT '',
    caller_name    TEXT NOT NULL DEFAULT '',
    path           TEXT NOT NULL,                -- relative to var/recordings
    seconds        REAL NOT NULL CHECK (seconds >= 0),
    created_at     REAL NOT NULL,
    ticket_id      INTEGER REFERENCES tickets(id) ON DELETE SET NULL,
    heard_at       REAL
);
CREATE INDEX voicemails_box ON voicemails(box, created_at);
CREATE INDEX voicemails_call ON voicemails(call_id);

-- Callbacks promised to callers: kept across restarts until done or given up.
CREATE TABLE callbacks (
    call_id       TEXT PRIMARY KEY,              -- the call that asked (its engine id)
    queue         TEXT NOT NULL,
    number        TEXT NOT NULL,                 -- where to call back
    trunk         TEXT NOT NULL DEFAULT '',      -- the line it came in on (same kind back)
    joined_at     REAL NOT NULL,                 -- wall time it joined the queue (its place)
    state         TEXT NOT NULL CHECK (state IN ('waiting', 'done', 'failed')),
    attempts      INTEGER NOT NULL DEFAULT 0,
    created_at    REAL NOT NULL,
    updated_at    REAL NOT NULL,
    outcome       TEXT NOT NULL DEFAULT ''
);
CREATE INDEX callbacks_state ON callbacks(state, joined_at);

-- Survey scales: per question, digit -> score ({"1": 5, "2": 3, "3": 1}) and the digits
-- that count as satisfied for CSAT (["1"]); '' = scores by digit order, "1" satisfied.
ALTER TABLE surveys ADD COLUMN language TEXT NOT NULL DEFAULT 'en';
ALTER TABLE survey_questions ADD COLUMN scores TEXT NOT NULL DEFAULT '';
ALTER TABLE survey_questions ADD COLUMN satisfied TEXT NOT NULL DEFAULT '';

-- What happened to a call beyond its disposition: 'blocked', 'closed', 'holiday',
-- 'voicemail:<box>', 'callback', 'forwarded:<number>', 'overflow:<why>>...', 'survey'.
ALTER TABLE cdr ADD COLUMN outcome TEXT NOT NULL DEFAULT '';

-- Every reference one inbound object holds to another, as (owner, target text).
CREATE VIEW inbound_refs AS
    SELECT 'route ' || number || coalesce(nullif(' on ' || trunk, ' on '), '') AS owner,
           target AS ref FROM dids
    UNION ALL SELECT 'route ' || number, closed_target FROM dids WHERE closed_target <> ''
    UNION ALL SELECT 'route ' || number, 'schedule:' || schedule FROM dids WHERE schedule <> ''
    UNION ALL SELECT 'list entry ' || number, target FROM caller_lists WHERE target <> ''
    UNION ALL SELECT 'queue ' || q.name, r.overflow FROM queue_rules r
        JOIN queues q ON q.id = r.queue_id WHERE r.overflow <> ''
    UNION ALL SELECT 'queue ' || q.name, r.exit_target FROM queue_rules r
        JOIN queues q ON q.id = r.queue_id WHERE r.exit_target <> ''
    UNION ALL SELECT 'queue ' || q.name, 'prompt:' || r.periodic_prompt FROM queue_rules r
        JOIN queues q ON q.id = r.queue_id WHERE r.periodic_prompt <> ''
    UNION ALL SELECT 'queue ' || q.name, 'survey:' || r.survey FROM queue_rules r
        JOIN queues q ON q.id = r.queue_id WHERE r.survey <> ''
    UNION ALL SELECT 'voicemail box ' || name, 'prompt:' || greeting FROM voicemail_boxes
        WHERE greeting <> ''
    UNION ALL SELECT 'ivr ' || m.name, j.value FROM ivr_menus m, json_tree(m.tree) j
        WHERE m.tree <> '' AND j.type = 'text'
    UNION ALL SELECT 'ivr ' || m.name, 'schedule:' || j.value FROM ivr_menus m,
        json_tree(m.tree) j WHERE m.tree <> '' AND j.type = 'text' AND j.key = 'schedule'
    UNION ALL SELECT 'schedule ' || s.name, j.value FROM schedules s, json_tree(s.doc) j
        WHERE j.type = 'text';

CREATE TRIGGER queues_in_use BEFORE DELETE ON queues
    WHEN EXISTS (SELECT 1 FROM inbound_refs WHERE ref = 'queue:' || old.name)
    BEGIN SELECT RAISE(ABORT, 'queue is still named by a route, list, rule or IVR'); END;
CREATE TRIGGER ivr_in_use BEFORE DELETE ON ivr_menus
    WHEN EXISTS (SELECT 1 FROM inbound_refs WHERE ref = 'ivr:' || old.name)
    BEGIN SELECT RAISE(ABORT, 'IVR is still named by a route, list, rule or IVR'); END;
CREATE TRIGGER seats_in_use BEFORE DELETE ON seats
    WHEN EXISTS (SELECT 1 FROM inbound_refs WHERE ref = 'seat:' || old.extension)
    BEGIN SELECT RAISE(ABORT, 'seat is still named by a route, list, rule or IVR'); END;
CREATE TRIGGER schedules_in_use BEFORE DELETE ON schedules
    WHEN EXISTS (SELECT 1 FROM inbound_refs WHERE ref = 'schedule:' || old.name)
    BEGIN SELECT RAISE(ABORT, 'schedule is still named by a route or IVR'); END;
CREATE TRIGGER prompts_in_use BEFORE DELETE ON prompts
    WHEN EXISTS (SELECT 1 FROM inbound_refs WHERE ref IN ('message:' || old.name,
                                                          'prompt:' || old.name))
    BEGIN SELECT RAISE(ABORT, 'prompt is still named by a route, list, rule or IVR'); END;
CREATE TRIGGER voicemail_boxes_in_use BEFORE DELETE ON voicemail_boxes
    WHEN EXISTS (SELECT 1 FROM inbound_refs WHERE ref = 'voicemail:' || old.name)
    BEGIN SELECT RAISE(ABORT, 'voicemail box is still named by a route, list, rule or IVR'); END;
CREATE TRIGGER surveys_in_use BEFORE DELETE ON surveys
    WHEN EXISTS (SELECT 1 FROM inbound_refs WHERE ref = 'survey:' || old.name)
    BEGIN SELECT RAISE(ABORT, 'survey is still named by a queue rule'); END;
