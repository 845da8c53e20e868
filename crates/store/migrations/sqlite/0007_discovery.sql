-- Inventory discovery: hosts found in Certificate Transparency logs, in the links and
-- certificates of scanned sites, waiting for a staff decision (accepted: it became a
-- target; dismissed: with a reason), each with where it was seen; and how far each
-- log has been followed.
CREATE TABLE candidates (
    id          INTEGER PRIMARY KEY,
    host        TEXT NOT NULL UNIQUE,
    state       TEXT NOT NULL,
    first_seen  TEXT NOT NULL,
    last_seen   TEXT NOT NULL,
    probe       TEXT,
    probed_at   TEXT,
    reason      TEXT,
    decided_by  TEXT,
    decided_at  TEXT,
    target_id   INTEGER REFERENCES targets (id)
);
CREATE INDEX candidates_by_state ON candidates (state, host);

-- One row per candidate and place it was seen: a log (detail: the latest index and
-- certificate), a page (detail: the site scanned) or a certificate (detail: its
-- fingerprint).
CREATE TABLE candidate_sources (
    candidate_id INTEGER NOT NULL REFERENCES candidates (id),
    kind         TEXT NOT NULL,
    source       TEXT NOT NULL,
    detail       TEXT NOT NULL,
    first_seen   TEXT NOT NULL,
    last_seen    TEXT NOT NULL,
    PRIMARY KEY (candidate_id, kind, source)
);

-- `frontier` is where following stopped (the Merkle frontier of the entries read, its
-- size the next index); `verified_frontier` the last position checked against a signed
-- tree head, where following restarts when a log turns out to lie.
CREATE TABLE ct_logs (
    url               TEXT PRIMARY KEY,
    frontier          TEXT NOT NULL,
    verified_frontier TEXT NOT NULL,
    tree_size         INTEGER NOT NULL,
    sth_timestamp     INTEGER NOT NULL,
    sth_root          TEXT NOT NULL,
    updated_at        TEXT NOT NULL
);
