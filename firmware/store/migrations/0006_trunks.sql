-- Trunks and edge security (docs/design/call-features.md, sections 4 and 7).

-- A SIP trunk: where its calls and keep-alives go (host, port, domain; an empty host is
-- a trunk we only take calls from), how the provider knows us (kind 'sip-ip': by our
-- address; 'sip-reg': digest, and we register), OPTIONS keep-alive, how many calls at
-- once (0: no limit) and the caller ID presented when a call brings none. The password
-- is kept as given: the provider's realm is only known from its challenge.
ALTER TABLE trunks ADD COLUMN host TEXT NOT NULL DEFAULT '';
ALTER TABLE trunks ADD COLUMN port INTEGER NOT NULL DEFAULT 5060 CHECK (port BETWEEN 1 AND 65535);
ALTER TABLE trunks ADD COLUMN domain TEXT NOT NULL DEFAULT '';
ALTER TABLE trunks ADD COLUMN username TEXT NOT NULL DEFAULT '';
ALTER TABLE trunks ADD COLUMN secret TEXT NOT NULL DEFAULT '';
ALTER TABLE trunks ADD COLUMN realm TEXT NOT NULL DEFAULT '';
ALTER TABLE trunks ADD COLUMN register_expires INTEGER NOT NULL DEFAULT 600
    CHECK (register_expires BETWEEN 60 AND 86400);
ALTER TABLE trunks ADD COLUMN keepalive INTEGER NOT NULL DEFAULT 1 CHECK (keepalive IN (0, 1));
ALTER TABLE trunks ADD COLUMN max_channels INTEGER NOT NULL DEFAULT 0
    CHECK (max_channels BETWEEN 0 AND 1000);
ALTER TABLE trunks ADD COLUMN caller_id TEXT NOT NULL DEFAULT '';

-- Two CHECK constraints of schema 1 grow by one value each: trunks.kind takes 'sip-reg',
-- cdr.disposition takes 'blocked' (every trunk group of the route busy or down: "all
-- lines busy", counted by the reports). SQLite cannot alter a constraint; its documented
-- way for a change that no stored row can violate is to edit the table's text in
-- sqlite_schema (https://www.sqlite.org/lang_altertable.html, "otheralter"). RESET makes
-- this connection read the new text; the CREATE/DROP bumps the schema cookie so every
-- other connection does too. The TEMP table stops the migration if a text did not match.
PRAGMA writable_schema = ON;
UPDATE sqlite_schema SET sql = replace(sql, 'CHECK (kind IN (''sip-ip''))',
                                       'CHECK (kind IN (''sip-ip'', ''sip-reg''))')
 WHERE type = 'table' AND name = 'trunks';
UPDATE sqlite_schema SET sql = replace(sql, '''no-choice'', ''rejected'')',
                                       '''no-choice'', ''rejected'', ''blocked'')')
 WHERE type = 'table' AND name = 'cdr';
PRAGMA writable_schema = RESET;
CREATE TABLE migration_0006_bump (x INTEGER);
DROP TABLE migration_0006_bump;
CREATE TEMP TABLE migration_0006_check (ok INTEGER NOT NULL CHECK (ok = 1));
INSERT INTO migration_0006_check
    SELECT (SELECT sql FROM sqlite_schema WHERE name = 'trunks') LIKE '%''sip-reg''%';
INSERT INTO migration_0006_check
    SELECT (SELECT sql FROM sqlite_schema WHERE name = 'cdr') LIKE '%''blocked''%';
DROP TABLE migration_0006_check;

-- The outbound route table: a dialled number takes the enabled route with the longest
-- matching prefix ('' matches every number), loses `strip` leading digits, gains
-- `prepend`, and tries the route's trunk groups in order. Caller ID: 'pass' presents the
-- caller ID the call brings (else `caller_id`, else the trunk's), 'fixed' always `caller_id`.
CREATE TABLE outbound_routes (
    id              INTEGER PRIMARY KEY,
    name            TEXT NOT NULL UNIQUE,
    prefix          TEXT NOT NULL UNIQUE,
    strip           INTEGER NOT NULL DEFAULT 0 CHECK (strip BETWEEN 0 AND 32),
    prepend         TEXT NOT NULL DEFAULT '',
    caller_id_mode  TEXT NOT NULL DEFAULT 'pass' CHECK (caller_id_mode IN ('pass', 'fixed')),
    caller_id       TEXT NOT NULL DEFAULT '',
    enabled         INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1))
);

-- A route's trunk groups in the order they are tried: a SIP trunk's name, or a line
-- group (an E1 span "e1/1", the FXO ports "fxo") registered by the line code at start.
CREATE TABLE outbound_route_groups (
    route_id  INTEGER NOT NULL REFERENCES outbound_routes(id) ON DELETE CASCADE,
    position  INTEGER NOT NULL CHECK (position >= 0),
    grp       TEXT NOT NULL,
    PRIMARY KEY (route_id, position),
    UNIQUE (route_id, grp)
);
