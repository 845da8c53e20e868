-- A label the authority set by a staff decision says so in public: when the current
-- status came from such a decision (NULL once a scan or a lapse changed it).
ALTER TABLE labels ADD COLUMN decided_at TEXT COLLATE "C";

-- The public row of a site names its latest attestation.
CREATE INDEX attestations_by_target ON attestations (target_id, at);
