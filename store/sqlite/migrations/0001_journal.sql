-- 0001: the live loop's decision records and the engine's saved state.
--
-- Times are UTC Unix nanoseconds (INTEGER, sortable); NULL is the zero
-- time.Time. Booleans are 0/1. A NULL float is NaN (SQLite stores NaN as
-- NULL). proposed_* are all NULL when the record has no shadow decision.

CREATE TABLE decisions (
	id                INTEGER PRIMARY KEY,
	target            TEXT    NOT NULL,
	time              INTEGER,
	mode              TEXT    NOT NULL,
	current_ready     INTEGER NOT NULL,
	current_launching INTEGER NOT NULL,
	decision_time     INTEGER,
	decision_current  INTEGER NOT NULL,
	desired           INTEGER NOT NULL,
	min               INTEGER NOT NULL,
	max               INTEGER NOT NULL,
	reason_code       TEXT    NOT NULL,
	reason_message    TEXT    NOT NULL,
	applied           INTEGER NOT NULL CHECK (applied IN (0, 1)),
	error             TEXT    NOT NULL,
	observed_at       INTEGER,
	utilization       REAL,
	has_utilization   INTEGER NOT NULL CHECK (has_utilization IN (0, 1)),
	demand            REAL,
	has_demand        INTEGER NOT NULL CHECK (has_demand IN (0, 1)),
	error_ratio       REAL,
	latency_ns        INTEGER NOT NULL,
	has_health        INTEGER NOT NULL CHECK (has_health IN (0, 1)),
	has_proposed      INTEGER NOT NULL CHECK (has_proposed IN (0, 1)),
	proposed_time     INTEGER,
	proposed_current  INTEGER,
	proposed_desired  INTEGER,
	proposed_min      INTEGER,
	proposed_max      INTEGER,
	proposed_code     TEXT,
	proposed_message  TEXT,
	CHECK (has_proposed = 1 OR (proposed_time IS NULL AND proposed_current IS NULL
		AND proposed_desired IS NULL AND proposed_min IS NULL AND proposed_max IS NULL
		AND proposed_code IS NULL AND proposed_message IS NULL)),
	CHECK (has_proposed = 0 OR (proposed_current IS NOT NULL AND proposed_desired IS NOT NULL
		AND proposed_min IS NOT NULL AND proposed_max IS NOT NULL
		AND proposed_code IS NOT NULL AND proposed_message IS NOT NULL))
);

-- Records reads one target's range in time order; id breaks ties in
-- append order.
CREATE INDEX decisions_target_time ON decisions (target, time, id);

CREATE TABLE engine_state (
	target     TEXT    NOT NULL,
	slot       TEXT    NOT NULL,
	state      BLOB    NOT NULL,
	updated_at INTEGER NOT NULL,
	PRIMARY KEY (target, slot)
);
