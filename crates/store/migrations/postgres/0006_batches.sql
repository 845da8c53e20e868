-- The batch API for partner agencies: tokens staff create (stored as hashes, scoped,
-- revocable), and batches of hosts a token submitted, each host answered by a scan job
-- of the same queue the workers serve.
CREATE TABLE api_tokens (
    id          BIGSERIAL PRIMARY KEY,
    name        TEXT COLLATE "C" NOT NULL,
    token_hash  TEXT COLLATE "C" NOT NULL UNIQUE,
    scopes      TEXT COLLATE "C" NOT NULL,
    created_by  TEXT COLLATE "C" NOT NULL,
    created_at  TEXT COLLATE "C" NOT NULL,
    expires_at  TEXT COLLATE "C" NOT NULL,
    revoked_at  TEXT COLLATE "C"
);

CREATE TABLE batches (
    id         BIGSERIAL PRIMARY KEY,
    token_id   BIGINT NOT NULL REFERENCES api_tokens (id),
    created_at TEXT COLLATE "C" NOT NULL
);
CREATE INDEX batches_by_token ON batches (token_id, id);

CREATE TABLE batch_items (
    batch_id  BIGINT NOT NULL REFERENCES batches (id),
    position  BIGINT NOT NULL,
    target_id BIGINT NOT NULL REFERENCES targets (id),
    job_id    BIGINT NOT NULL REFERENCES scan_jobs (id),
    PRIMARY KEY (batch_id, position)
);
