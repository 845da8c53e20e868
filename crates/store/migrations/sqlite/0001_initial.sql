-- Initial schema of the embedded store.
--
-- Timestamps are RFC 3339 UTC text with a fixed-width fraction, so text order is time
-- order. Enums are stored as their stable strings (`as_str()`), never as ordinals, so a
-- reordered Rust enum cannot silently change stored meaning.

-- The sites in scope; `host` (ASCII/punycode) is the import key.
CREATE TABLE targets (
    id            INTEGER PRIMARY KEY,
    host          TEXT    NOT NULL UNIQUE,
    https_port    INTEGER NOT NULL CHECK (https_port BETWEEN 0 AND 65535),
    organisation  TEXT    NOT NULL,
    category      TEXT    NOT NULL,
    province      TEXT    NOT NULL,
    contact_email TEXT    NOT NULL,
    created_at    TEXT    NOT NULL,
    updated_at    TEXT    NOT NULL
);

-- One `scan --all` invocation; `finished_at` stays NULL until it completes, so an
-- interrupted run can be found and resumed.
CREATE TABLE runs (
    id          INTEGER PRIMARY KEY,
    description TEXT NOT NULL,
    started_at  TEXT NOT NULL,
    finished_at TEXT
);

-- Every scan keeps its evidence, so it can be re-judged later without the network.
-- `verdict_json` is authoritative; score/grade/decision are copies for filtering.
CREATE TABLE scans (
    id                   INTEGER PRIMARY KEY,
    target_id            INTEGER NOT NULL REFERENCES targets (id),
    run_id               INTEGER REFERENCES runs (id),
    started_at           TEXT    NOT NULL,
    finished_at          TEXT    NOT NULL,
    tool_version         TEXT    NOT NULL,
    policy_version       TEXT    NOT NULL,
    rules_hash           TEXT    NOT NULL,
    evidence_json        TEXT    NOT NULL,
    score                INTEGER NOT NULL,
    grade                TEXT    NOT NULL,
    decision             TEXT    NOT NULL,
    category_scores_json TEXT    NOT NULL,
    verdict_json         TEXT    NOT NULL
);
CREATE INDEX scans_by_target ON scans (target_id, finished_at);
CREATE INDEX scans_by_run ON scans (run_id);

-- The targets of a run, in the order they were given; a crash leaves the unscanned
-- ones `pending`.
CREATE TABLE run_items (
    run_id    INTEGER NOT NULL REFERENCES runs (id),
    target_id INTEGER NOT NULL REFERENCES targets (id),
    position  INTEGER NOT NULL,
    state     TEXT    NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'done')),
    scan_id   INTEGER REFERENCES scans (id),
    PRIMARY KEY (run_id, target_id)
);
CREATE INDEX run_items_by_state ON run_items (run_id, state, position);

-- Findings of a scan; `seq` keeps the order the checks produced them in.
CREATE TABLE findings (
    scan_id    INTEGER NOT NULL REFERENCES scans (id),
    seq        INTEGER NOT NULL,
    finding_id TEXT    NOT NULL,
    severity   TEXT    NOT NULL,
    category   TEXT    NOT NULL,
    detail     TEXT    NOT NULL,
    PRIMARY KEY (scan_id, seq)
);
CREATE INDEX findings_by_id ON findings (finding_id);

-- Current label per site; no row means `not_assessed`.
CREATE TABLE labels (
    target_id     INTEGER PRIMARY KEY REFERENCES targets (id),
    status        TEXT    NOT NULL,
    level         TEXT,
    grade         TEXT,
    status_since  TEXT,
    at_risk_since TEXT,
    last_pass_at  TEXT,
    last_scan_id  INTEGER REFERENCES scans (id),
    updated_at    TEXT    NOT NULL
);
CREATE INDEX labels_by_status ON labels (status);

-- Every status change with its reason; `scan_id` is NULL for changes no scan caused
-- (e.g. a staff decision).
CREATE TABLE label_history (
    id          INTEGER PRIMARY KEY,
    target_id   INTEGER NOT NULL REFERENCES targets (id),
    from_status TEXT    NOT NULL,
    to_status   TEXT    NOT NULL,
    reason      TEXT    NOT NULL,
    scan_id     INTEGER REFERENCES scans (id),
    at          TEXT    NOT NULL
);
CREATE INDEX label_history_by_target ON label_history (target_id, at);
CREATE INDEX label_history_by_time ON label_history (at);
