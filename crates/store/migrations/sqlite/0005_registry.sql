-- Registry depth: organisations as a hierarchy (the ministry or provincial body a target's
-- organisation answers to), and what league tables count per site: whether it collects
-- personal data (NULL until a scan could tell) and the findings of its latest scan.
ALTER TABLE targets ADD COLUMN parent TEXT NOT NULL DEFAULT '';
-- Search keys now include the parent: recomputed when the store opens.
UPDATE targets SET search_key = NULL;

ALTER TABLE labels ADD COLUMN collects_personal_data INTEGER;

CREATE TABLE open_findings (
    target_id  INTEGER NOT NULL REFERENCES targets (id),
    finding_id TEXT    NOT NULL,
    severity   TEXT    NOT NULL,
    PRIMARY KEY (target_id, finding_id)
);
CREATE INDEX open_findings_by_id ON open_findings (finding_id, target_id);
CREATE INDEX targets_by_parent ON targets (parent);
