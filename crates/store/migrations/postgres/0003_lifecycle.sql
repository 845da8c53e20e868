-- Continuous operation: the same columns and tables as migrations/sqlite/0003_lifecycle.sql,
-- in PostgreSQL types (BIGINT ids, fixed-width RFC 3339 text timestamps, "C" collation).

-- Claiming a job reads one index entry, not the queue: the best queued job, or the
-- oldest expired lease of a crashed worker.
CREATE INDEX scan_jobs_claim ON scan_jobs (state, priority DESC, id);
CREATE INDEX scan_jobs_expiry ON scan_jobs (state, lease_expires_at);

ALTER TABLE labels ADD COLUMN unreachable_scans BIGINT NOT NULL DEFAULT 0;

CREATE TABLE notifications (
    id               BIGSERIAL PRIMARY KEY,
    target_id        BIGINT NOT NULL REFERENCES targets (id),
    recipient        TEXT COLLATE "C" NOT NULL,
    subject          TEXT NOT NULL,
    body             TEXT NOT NULL,
    created_at       TEXT COLLATE "C" NOT NULL,
    attempts         BIGINT NOT NULL DEFAULT 0,
    next_attempt_at  TEXT COLLATE "C" NOT NULL,
    lease_owner      TEXT COLLATE "C",
    lease_expires_at TEXT COLLATE "C",
    sent_at          TEXT COLLATE "C",
    last_error       TEXT
);
CREATE INDEX notifications_due ON notifications (sent_at, next_attempt_at);
