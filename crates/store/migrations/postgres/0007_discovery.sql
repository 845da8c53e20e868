-- Inventory discovery: hosts found in Certificate Transparency logs, in the links and
-- certificates of scanned sites, waiting for a staff decision (accepted: it became a
-- target; dismissed: with a reason), each with where it was seen; and how far each
-- log has been followed.
CREATE TABLE candidates (
    id          BIGSERIAL PRIMARY KEY,
    host        TEXT COLLATE "C" NOT NULL UNIQUE,
    state       TEXT COLLATE "C" NOT NULL,
    first_seen  TEXT COLLATE "C" NOT NULL,
    last_seen   TEXT COLLATE "C" NOT NULL,
    probe       TEXT COLLATE "C",
    probed_at   TEXT COLLATE "C",
    reason      TEXT COLLATE "C",
    decided_by  TEXT COLLATE "C",
    decided_at  TEXT COLLATE "C",
    target_id   BIGINT REFERENCES targets (id)
);
CREATE INDEX candidates_by_state ON candidates (state, host);

-- One row per candidate and place it was seen: a log (detail: the latest index and
-- certificate), a page (detail: the site scanned) or a certificate (detail: its
-- fingerprint).
CREATE TABLE candidate_sources (
    candidate_id BIGINT NOT NULL REFERENCES candidates (id),
    kind         TEXT COLLATE "C" NOT NULL,
    source       TEXT COLLATE "C" NOT NULL,
    detail       TEXT COLLATE "C" NOT NULL,
    first_seen   TEXT COLLATE "C" NOT NULL,
    last_seen    TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (candidate_id, kind, source)
);

-- `frontier` is where following stopped (the Merkle frontier of the entries read, its
-- size the next index); `verified_frontier` the last position checked against a signed
-- tree head, where following restarts when a log turns out to lie.
CREATE TABLE ct_logs (
    url               TEXT COLLATE "C" PRIMARY KEY,
    frontier          TEXT COLLATE "C" NOT NULL,
    verified_frontier TEXT COLLATE "C" NOT NULL,
    tree_size         BIGINT NOT NULL,
    sth_timestamp     BIGINT NOT NULL,
    sth_root          TEXT COLLATE "C" NOT NULL,
    updated_at        TEXT COLLATE "C" NOT NULL
);
