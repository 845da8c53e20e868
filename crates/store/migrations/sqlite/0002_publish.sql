-- Publishing: public search, owner links, the re-scan queue, staff accounts, audit log.
--
-- Same conventions as 0001: RFC 3339 UTC text timestamps (fixed width, so text order
-- is time order), enums as their stable strings, SQL that PostgreSQL accepts as written.

-- Diacritic-insensitive search: host (Unicode form), organisation, category and
-- province folded to lower-case ASCII ("Bộ Tài chính" → "bo tai chinh"). Computed in
-- Rust by `fold::search_key` on every insert/update; NULL only for rows written before
-- this migration, which the store fills in when it opens the database.
ALTER TABLE targets ADD COLUMN search_key TEXT;
CREATE INDEX targets_by_category ON targets (category);
CREATE INDEX targets_by_province ON targets (province);

-- Private per-site links for owners. Only the SHA-256 of the random token is stored,
-- so a database leak does not leak working links.
CREATE TABLE owner_links (
    id         INTEGER PRIMARY KEY,
    target_id  INTEGER NOT NULL REFERENCES targets (id),
    token_hash TEXT    NOT NULL UNIQUE,
    created_at TEXT    NOT NULL,
    expires_at TEXT    NOT NULL,
    revoked_at TEXT
);
CREATE INDEX owner_links_by_target ON owner_links (target_id);

-- Scan requests (owner "re-scan now", staff "scan"). Shaped as a job queue with leases
-- so several workers can share it later: a worker claims a `queued` job (or a `running`
-- one whose lease expired) by setting `lease_owner`/`lease_expires_at`, and finishes it
-- with `done` (+ scan_id) or `failed` (+ error). `attempts` counts claims.
CREATE TABLE scan_jobs (
    id               INTEGER PRIMARY KEY,
    target_id        INTEGER NOT NULL REFERENCES targets (id),
    requested_by     TEXT    NOT NULL,
    priority         INTEGER NOT NULL DEFAULT 0,
    state            TEXT    NOT NULL DEFAULT 'queued'
                     CHECK (state IN ('queued', 'running', 'done', 'failed')),
    created_at       TEXT    NOT NULL,
    lease_owner      TEXT,
    lease_expires_at TEXT,
    attempts         INTEGER NOT NULL DEFAULT 0,
    started_at       TEXT,
    finished_at      TEXT,
    scan_id          INTEGER REFERENCES scans (id),
    error            TEXT
);
CREATE INDEX scan_jobs_by_state ON scan_jobs (state, priority, id);
CREATE INDEX scan_jobs_by_target ON scan_jobs (target_id, created_at);

CREATE TABLE staff_users (
    id            INTEGER PRIMARY KEY,
    username      TEXT    NOT NULL UNIQUE,
    password_hash TEXT    NOT NULL,
    disabled      INTEGER NOT NULL DEFAULT 0,
    created_at    TEXT    NOT NULL
);

-- Login sessions; like owner links, only the hash of the cookie value is stored.
CREATE TABLE staff_sessions (
    token_hash TEXT    PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES staff_users (id),
    csrf_token TEXT    NOT NULL,
    created_at TEXT    NOT NULL,
    expires_at TEXT    NOT NULL
);

-- Manual assessments behind the `advanced` level.
CREATE TABLE attestations (
    id        INTEGER PRIMARY KEY,
    target_id INTEGER NOT NULL REFERENCES targets (id),
    actor     TEXT    NOT NULL,
    note      TEXT    NOT NULL,
    at        TEXT    NOT NULL
);

-- Every staff action, append-only.
CREATE TABLE audit_log (
    id     INTEGER PRIMARY KEY,
    at     TEXT NOT NULL,
    actor  TEXT NOT NULL,
    action TEXT NOT NULL,
    host   TEXT,
    detail TEXT NOT NULL
);
CREATE INDEX audit_log_by_time ON audit_log (at);
