-- The batch API for partner agencies: tokens staff create (stored as hashes, scoped,
-- revocable), and batches of hosts a token submitted, each host answered by a scan job
-- of the same queue the workers serve.
CREATE TABLE api_tokens (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL,
    token_hash  TEXT NOT NULL UNIQUE,
    scopes      TEXT NOT NULL,
    created_by  TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL,
    revoked_at  TEXT
);

CREATE TABLE batches (
    id         INTEGER PRIMARY KEY,
    token_id   INTEGER NOT NULL REFERENCES api_tokens (id),
    created_at TEXT NOT NULL
);
CREATE INDEX batches_by_token ON batches (token_id, id);

CREATE TABLE batch_items (
    batch_id  INTEGER NOT NULL REFERENCES batches (id),
    position  INTEGER NOT NULL,
    target_id INTEGER NOT NULL REFERENCES targets (id),
    job_id    INTEGER NOT NULL REFERENCES scan_jobs (id),
    PRIMARY KEY (batch_id, position)
);
