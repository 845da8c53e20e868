-- Publishing: public search, owner links, the re-scan queue, staff accounts, audit log.
-- The same tables as migrations/sqlite/0002_publish.sql, in PostgreSQL types; same
-- conventions as 0001 (BIGINT ids, fixed-width RFC 3339 text timestamps, "C" collation).

-- Diacritic-insensitive search: host (Unicode form), organisation, category and
-- province folded to lower-case ASCII ("Bộ Tài chính" → "bo tai chinh"). Computed in
-- Rust by `fold::search_key` on every insert/update; NULL only for rows written before
-- this migration, which the store fills in when it opens the database.
ALTER TABLE targets ADD COLUMN search_key TEXT COLLATE "C";
CREATE INDEX targets_by_category ON targets (category);
CREATE INDEX targets_by_province ON targets (province);

-- Private per-site links for owners. Only the SHA-256 of the random token is stored,
-- so a database leak does not leak working links.
CREATE TABLE owner_links (
    id         BIGSERIAL PRIMARY KEY,
    target_id  BIGINT NOT NULL REFERENCES targets (id),
    token_hash TEXT COLLATE "C" NOT NULL UNIQUE,
    created_at TEXT COLLATE "C" NOT NULL,
    expires_at TEXT COLLATE "C" NOT NULL,
    revoked_at TEXT COLLATE "C"
);
CREATE INDEX owner_links_by_target ON owner_links (target_id);

-- Scan requests (owner "re-scan now", staff "scan"), a job queue with leases shared by
-- any number of workers: a worker claims a `queued` job (or a `running` one whose lease
-- expired) with `FOR UPDATE SKIP LOCKED`, setting `lease_owner`/`lease_expires_at`, and
-- finishes it with `done` (+ scan_id) or `failed` (+ error). `attempts` counts claims.
CREATE TABLE scan_jobs (
    id               BIGSERIAL PRIMARY KEY,
    target_id        BIGINT NOT NULL REFERENCES targets (id),
    requested_by     TEXT COLLATE "C" NOT NULL,
    priority         BIGINT NOT NULL DEFAULT 0,
    state            TEXT COLLATE "C" NOT NULL DEFAULT 'queued'
                     CHECK (state IN ('queued', 'running', 'done', 'failed')),
    created_at       TEXT COLLATE "C" NOT NULL,
    lease_owner      TEXT COLLATE "C",
    lease_expires_at TEXT COLLATE "C",
    attempts         BIGINT NOT NULL DEFAULT 0,
    started_at       TEXT COLLATE "C",
    finished_at      TEXT COLLATE "C",
    scan_id          BIGINT REFERENCES scans (id),
    error            TEXT COLLATE "C"
);
CREATE INDEX scan_jobs_by_state ON scan_jobs (state, priority, id);
CREATE INDEX scan_jobs_by_target ON scan_jobs (target_id, created_at);

CREATE TABLE staff_users (
    id            BIGSERIAL PRIMARY KEY,
    username      TEXT COLLATE "C" NOT NULL UNIQUE,
    password_hash TEXT COLLATE "C" NOT NULL,
    disabled      BIGINT NOT NULL DEFAULT 0,
    created_at    TEXT COLLATE "C" NOT NULL
);

-- Login sessions; like owner links, only the hash of the cookie value is stored.
CREATE TABLE staff_sessions (
    token_hash TEXT COLLATE "C" PRIMARY KEY,
    user_id    BIGINT NOT NULL REFERENCES staff_users (id),
    csrf_token TEXT COLLATE "C" NOT NULL,
    created_at TEXT COLLATE "C" NOT NULL,
    expires_at TEXT COLLATE "C" NOT NULL
);

-- Manual assessments behind the `advanced` level.
CREATE TABLE attestations (
    id        BIGSERIAL PRIMARY KEY,
    target_id BIGINT NOT NULL REFERENCES targets (id),
    actor     TEXT COLLATE "C" NOT NULL,
    note      TEXT COLLATE "C" NOT NULL,
    at        TEXT COLLATE "C" NOT NULL
);

-- Every staff action, append-only.
CREATE TABLE audit_log (
    id     BIGSERIAL PRIMARY KEY,
    at     TEXT COLLATE "C" NOT NULL,
    actor  TEXT COLLATE "C" NOT NULL,
    action TEXT COLLATE "C" NOT NULL,
    host   TEXT COLLATE "C",
    detail TEXT COLLATE "C" NOT NULL
);
CREATE INDEX audit_log_by_time ON audit_log (at);
