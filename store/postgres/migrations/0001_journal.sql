-- 0001: the live loop's decision records and the engine's saved state.
--
-- Record times are UTC Unix nanoseconds (bigint: timestamptz keeps only
-- microseconds, and records must read back exactly); NULL is the zero
-- time.Time. Floats are double precision, NaN included. proposed_* are
-- all NULL when the record has no shadow decision.

CREATE TABLE decisions (
	id                bigint  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	target            text    NOT NULL,
	time              bigint,
	mode              text    NOT NULL,
	current_ready     bigint  NOT NULL,
	current_launching bigint  NOT NULL,
	decision_time     bigint,
	decision_current  bigint  NOT NULL,
	desired           bigint  NOT NULL,
	min               bigint  NOT NULL,
	max               bigint  NOT NULL,
	reason_code       text    NOT NULL,
	reason_message    text    NOT NULL,
	applied           boolean NOT NULL,
	error             text    NOT NULL,
	observed_at       bigint,
	utilization       double precision NOT NULL,
	has_utilization   boolean NOT NULL,
	demand            double precision NOT NULL,
	has_demand        boolean NOT NULL,
	error_ratio       double precision NOT NULL,
	latency_ns        bigint  NOT NULL,
	has_health        boolean NOT NULL,
	has_proposed      boolean NOT NULL,
	proposed_time     bigint,
	proposed_current  bigint,
	proposed_desired  bigint,
	proposed_min      bigint,
	proposed_max      bigint,
	proposed_code     text,
	proposed_message  text,
	CHECK (has_proposed OR (proposed_time IS NULL AND proposed_current IS NULL
		AND proposed_desired IS NULL AND proposed_min IS NULL AND proposed_max IS NULL
		AND proposed_code IS NULL AND proposed_message IS NULL)),
	CHECK (NOT has_proposed OR (proposed_current IS NOT NULL AND proposed_desired IS NOT NULL
		AND proposed_min IS NOT NULL AND proposed_max IS NOT NULL
		AND proposed_code IS NOT NULL AND proposed_message IS NOT NULL))
);

-- Records reads one target's range in time order, the zero time first
-- (as in SQLite, where NULL sorts first); id breaks ties in append order.
CREATE INDEX decisions_target_time ON decisions (target, time NULLS FIRST, id);

CREATE TABLE engine_state (
	target     text        NOT NULL,
	slot       text        NOT NULL,
	state      bytea       NOT NULL,
	updated_at timestamptz NOT NULL,
	PRIMARY KEY (target, slot)
);
