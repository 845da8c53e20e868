-- Continuous operation: the label state machine counts scans that could not reach a
-- site, and owner notifications go through an outbox written in the same transaction
-- as the label change, so none is lost when the mail server is down.

-- Claiming a job reads one index entry, not the queue: the best queued job, or the
-- oldest expired lease of a crashed worker.
CREATE INDEX scan_jobs_claim ON scan_jobs (state, priority DESC, id);
CREATE INDEX scan_jobs_expiry ON scan_jobs (state, lease_expires_at);

ALTER TABLE labels ADD COLUMN unreachable_scans INTEGER NOT NULL DEFAULT 0;

CREATE TABLE notifications (
    id               INTEGER PRIMARY KEY,
    target_id        INTEGER NOT NULL REFERENCES targets (id),
    recipient        TEXT    NOT NULL,
    subject          TEXT    NOT NULL,
    body             TEXT    NOT NULL,
    created_at       TEXT    NOT NULL,
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  TEXT    NOT NULL,
    lease_owner      TEXT,
    lease_expires_at TEXT,
    sent_at          TEXT,
    last_error       TEXT
);
CREATE INDEX notifications_due ON notifications (sent_at, next_attempt_at);
