-- 0005: write-ahead intents (headroom.Intent): an actuation is written
-- here before it is made, and its row deleted by the Append that records
-- its outcome, in the same statement; so the table holds only the open
-- ones, which the next leader reconciles. An identity is never reused, so a
-- late record cannot close a newer intent.
--
-- decisions.intent_id is the intent a record settled (NULL for none).
-- Fenced writes (headroom.Fence) lock the lease's row FOR SHARE and check
-- its token in the statement that writes: see journal.go.

CREATE TABLE intents (
	id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	target            text   NOT NULL,
	time              bigint,
	current_ready     bigint NOT NULL,
	current_launching bigint NOT NULL,
	desired           bigint NOT NULL,
	reason_code       text   NOT NULL,
	reason_message    text   NOT NULL,
	token             bigint NOT NULL,
	state             bytea
);

CREATE INDEX intents_target ON intents (target, id);

ALTER TABLE decisions ADD COLUMN intent_id bigint;
