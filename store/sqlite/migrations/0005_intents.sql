-- 0005: write-ahead intents (headroom.Intent): an actuation is written
-- here before it is made, and its row deleted by the Append that records
-- its outcome, in the same transaction; so the table holds only the open
-- ones, which the next leader reconciles. AUTOINCREMENT: an ID is never
-- reused, so a late record cannot close a newer intent.
--
-- decisions.intent_id is the intent a record settled (NULL for none).
-- Fenced writes (headroom.Fence) are checked against leases.token in the
-- statement that writes: see journal.go.

CREATE TABLE intents (
	id                INTEGER PRIMARY KEY AUTOINCREMENT,
	target            TEXT    NOT NULL,
	time              INTEGER,
	current_ready     INTEGER NOT NULL,
	current_launching INTEGER NOT NULL,
	desired           INTEGER NOT NULL,
	reason_code       TEXT    NOT NULL,
	reason_message    TEXT    NOT NULL,
	token             INTEGER NOT NULL,
	state             BLOB
);

CREATE INDEX intents_target ON intents (target, id);

ALTER TABLE decisions ADD COLUMN intent_id INTEGER;
