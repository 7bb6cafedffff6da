-- 0003: the status page (incident.Store): components and their status
-- history, incidents and maintenances with their updates, the write
-- counter replicas poll, admin API tokens, webhook subscribers and the
-- outbox of deliveries.
--
-- Times are UTC Unix nanoseconds (bigint: timestamptz keeps only
-- microseconds), as in 0001 and store/sqlite; NULL is the zero time.Time.
-- Short lists, read and written whole with their row, are jsonb arrays in
-- the writer's order: an incident's and a subscriber's component IDs, an
-- update's affected components ([{"componentId", "name", "old", "new"}]).
-- Statuses are not checked here: incident.Service owns the enums.

CREATE TABLE components (
	id          text    PRIMARY KEY,
	name        text    NOT NULL,
	description text    NOT NULL,
	group_id    text    NOT NULL, -- '' outside any group
	position    bigint  NOT NULL,
	status      text    NOT NULL,
	created_at  bigint,
	updated_at  bigint
);

-- Appended, never changed; id is the append order. No foreign key to
-- components: history outlives a component's configuration.
CREATE TABLE component_history (
	id           bigint  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	component_id text    NOT NULL,
	at           bigint,
	from_status  text    NOT NULL,
	to_status    text    NOT NULL
);

-- Load reads the history at or after a time, in time order (the zero
-- time first, as in SQLite, where NULL sorts first).
CREATE INDEX component_history_at ON component_history (at NULLS FIRST, id);

-- version is the incident's: a write names the stored one plus one.
CREATE TABLE incidents (
	id                      text    PRIMARY KEY,
	kind                    text    NOT NULL,
	name                    text    NOT NULL,
	status                  text    NOT NULL,
	impact                  text    NOT NULL,
	component_ids           jsonb   NOT NULL CHECK (jsonb_typeof(component_ids) = 'array'),
	created_at              bigint,
	updated_at              bigint,
	started_at              bigint,
	monitoring_at           bigint,
	resolved_at             bigint,
	scheduled_for           bigint,
	scheduled_until         bigint,
	auto_start              boolean NOT NULL,
	auto_complete           boolean NOT NULL,
	postmortem_draft        text    NOT NULL,
	postmortem_body         text    NOT NULL,
	postmortem_published_at bigint,
	version                 bigint  NOT NULL CHECK (version > 0)
);

-- An incident's updates, replaced whole with it; position 0 is the
-- newest (the first of Incident.Updates).
CREATE TABLE incident_updates (
	incident_id text    NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
	position    integer NOT NULL CHECK (position >= 0),
	id          text    NOT NULL,
	status      text    NOT NULL,
	body        text    NOT NULL,
	created_at  bigint,
	display_at  bigint,
	affected    jsonb   NOT NULL CHECK (jsonb_typeof(affected) = 'array'),
	PRIMARY KEY (incident_id, position)
);

-- The store's write counter (incident.Store.Version): one row, raised by
-- every Commit. Its row lock, taken first, serializes Commits.
CREATE TABLE page_version (
	id      integer PRIMARY KEY CHECK (id = 1),
	version bigint  NOT NULL CHECK (version >= 0)
);
INSERT INTO page_version (id, version) VALUES (1, 0);

-- Admin API credentials: the hash only.
CREATE TABLE tokens (
	id         text   PRIMARY KEY,
	name       text   NOT NULL,
	hash       bytea  NOT NULL,
	created_at bigint,
	revoked_at bigint
);

-- component_ids '[]': every component.
CREATE TABLE subscribers (
	id            text   PRIMARY KEY,
	url           text   NOT NULL,
	component_ids jsonb  NOT NULL CHECK (jsonb_typeof(component_ids) = 'array'),
	secret        text   NOT NULL,
	created_at    bigint
);

-- The outbox: one row per notification and subscriber, queued in the
-- transaction of the write it tells of, removed once delivered. URL and
-- secret are copied from the subscriber when queued, so no foreign key:
-- a queued delivery is sent as it was queued. An identity never repeats,
-- so a late Delivered of a removed row cannot remove a newer one.
CREATE TABLE deliveries (
	id            bigint  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	subscriber_id text    NOT NULL,
	url           text    NOT NULL,
	secret        text    NOT NULL,
	payload       bytea   NOT NULL,
	attempts      integer NOT NULL CHECK (attempts >= 0),
	next_at       bigint  NOT NULL,
	last_error    text    NOT NULL,
	created_at    bigint  NOT NULL
);

-- DueDeliveries reads the rows due at a time.
CREATE INDEX deliveries_next_at ON deliveries (next_at);
