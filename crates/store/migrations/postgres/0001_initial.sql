-- Initial schema of the PostgreSQL store: the same tables, columns and indexes as
-- migrations/sqlite/0001_initial.sql, so the store code reads both the same way.
--
-- Ids are BIGSERIAL/BIGINT (Rust i64). Timestamps are the same RFC 3339 UTC text with a
-- fixed-width fraction as in SQLite (`store::codec::timestamp`), so the codec is shared
-- and text order is time order. Evidence and verdicts are JSON text (decoded by serde,
-- never queried inside). Every text column uses the "C" collation: byte order, exactly
-- SQLite's BINARY, so `ORDER BY host` and every timestamp comparison give the same
-- answer on both backends whatever locale the cluster was created with.

-- The sites in scope; `host` (ASCII/punycode) is the import key.
CREATE TABLE targets (
    id            BIGSERIAL PRIMARY KEY,
    host          TEXT COLLATE "C" NOT NULL UNIQUE,
    https_port    BIGINT NOT NULL CHECK (https_port BETWEEN 0 AND 65535),
    organisation  TEXT COLLATE "C" NOT NULL,
    category      TEXT COLLATE "C" NOT NULL,
    province      TEXT COLLATE "C" NOT NULL,
    contact_email TEXT COLLATE "C" NOT NULL,
    created_at    TEXT COLLATE "C" NOT NULL,
    updated_at    TEXT COLLATE "C" NOT NULL
);

-- One `scan --all` invocation; `finished_at` stays NULL until it completes, so an
-- interrupted run can be found and resumed.
CREATE TABLE runs (
    id          BIGSERIAL PRIMARY KEY,
    description TEXT COLLATE "C" NOT NULL,
    started_at  TEXT COLLATE "C" NOT NULL,
    finished_at TEXT COLLATE "C"
);

-- Every scan keeps its evidence, so it can be re-judged later without the network.
-- `verdict_json` is authoritative; score/grade/decision are copies for filtering.
CREATE TABLE scans (
    id                   BIGSERIAL PRIMARY KEY,
    target_id            BIGINT  NOT NULL REFERENCES targets (id),
    run_id               BIGINT  REFERENCES runs (id),
    started_at           TEXT COLLATE "C" NOT NULL,
    finished_at          TEXT COLLATE "C" NOT NULL,
    tool_version         TEXT COLLATE "C" NOT NULL,
    policy_version       TEXT COLLATE "C" NOT NULL,
    rules_hash           TEXT COLLATE "C" NOT NULL,
    evidence_json        TEXT    NOT NULL,
    score                INTEGER NOT NULL,
    grade                TEXT COLLATE "C" NOT NULL,
    decision             TEXT COLLATE "C" NOT NULL,
    category_scores_json TEXT    NOT NULL,
    verdict_json         TEXT    NOT NULL
);
CREATE INDEX scans_by_target ON scans (target_id, finished_at);
CREATE INDEX scans_by_run ON scans (run_id);

-- The targets of a run, in the order they were given; a crash leaves the unscanned
-- ones `pending`.
CREATE TABLE run_items (
    run_id    BIGINT NOT NULL REFERENCES runs (id),
    target_id BIGINT NOT NULL REFERENCES targets (id),
    position  BIGINT NOT NULL,
    state     TEXT COLLATE "C" NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'done')),
    scan_id   BIGINT REFERENCES scans (id),
    PRIMARY KEY (run_id, target_id)
);
CREATE INDEX run_items_by_state ON run_items (run_id, state, position);

-- Findings of a scan; `seq` keeps the order the checks produced them in.
CREATE TABLE findings (
    scan_id    BIGINT NOT NULL REFERENCES scans (id),
    seq        BIGINT NOT NULL,
    finding_id TEXT COLLATE "C" NOT NULL,
    severity   TEXT COLLATE "C" NOT NULL,
    category   TEXT COLLATE "C" NOT NULL,
    detail     TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (scan_id, seq)
);
CREATE INDEX findings_by_id ON findings (finding_id);

-- Current label per site; no row means `not_assessed`.
CREATE TABLE labels (
    target_id     BIGINT PRIMARY KEY REFERENCES targets (id),
    status        TEXT COLLATE "C" NOT NULL,
    level         TEXT COLLATE "C",
    grade         TEXT COLLATE "C",
    status_since  TEXT COLLATE "C",
    at_risk_since TEXT COLLATE "C",
    last_pass_at  TEXT COLLATE "C",
    last_scan_id  BIGINT REFERENCES scans (id),
    updated_at    TEXT COLLATE "C" NOT NULL
);
CREATE INDEX labels_by_status ON labels (status);

-- Every status change with its reason; `scan_id` is NULL for changes no scan caused
-- (e.g. a staff decision).
CREATE TABLE label_history (
    id          BIGSERIAL PRIMARY KEY,
    target_id   BIGINT NOT NULL REFERENCES targets (id),
    from_status TEXT COLLATE "C" NOT NULL,
    to_status   TEXT COLLATE "C" NOT NULL,
    reason      TEXT COLLATE "C" NOT NULL,
    scan_id     BIGINT REFERENCES scans (id),
    at          TEXT COLLATE "C" NOT NULL
);
CREATE INDEX label_history_by_target ON label_history (target_id, at);
CREATE INDEX label_history_by_time ON label_history (at);
