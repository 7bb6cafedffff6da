-- 0003: the status page (incident.Store): components and their status
-- history, incidents and maintenances with their updates, the write
-- counter replicas poll, admin API tokens, webhook subscribers and the
-- outbox of deliveries.
--
-- Times are UTC Unix nanoseconds (INTEGER); NULL is the zero time.Time.
-- Booleans are 0/1. Short lists, read and written whole with their row,
-- are JSON arrays in TEXT, in the writer's order: an incident's and a
-- subscriber's component IDs, an update's affected components
-- ([{"componentId", "name", "old", "new"}]). Statuses are not checked
-- here: incident.Service owns the enums.

CREATE TABLE components (
	id          TEXT    PRIMARY KEY,
	name        TEXT    NOT NULL,
	description TEXT    NOT NULL,
	group_id    TEXT    NOT NULL, -- '' outside any group
	position    INTEGER NOT NULL,
	status      TEXT    NOT NULL,
	created_at  INTEGER,
	updated_at  INTEGER
);

-- Appended, never changed; id is the append order. No foreign key to
-- components: history outlives a component's configuration.
CREATE TABLE component_history (
	id           INTEGER PRIMARY KEY,
	component_id TEXT    NOT NULL,
	at           INTEGER,
	from_status  TEXT    NOT NULL,
	to_status    TEXT    NOT NULL
);

-- Load reads the history at or after a time, in time order.
CREATE INDEX component_history_at ON component_history (at, id);

-- version is the incident's: a write names the stored one plus one.
CREATE TABLE incidents (
	id                      TEXT    PRIMARY KEY,
	kind                    TEXT    NOT NULL,
	name                    TEXT    NOT NULL,
	status                  TEXT    NOT NULL,
	impact                  TEXT    NOT NULL,
	component_ids           TEXT    NOT NULL CHECK (json_type(component_ids) = 'array'),
	created_at              INTEGER,
	updated_at              INTEGER,
	started_at              INTEGER,
	monitoring_at           INTEGER,
	resolved_at             INTEGER,
	scheduled_for           INTEGER,
	scheduled_until         INTEGER,
	auto_start              INTEGER NOT NULL CHECK (auto_start IN (0, 1)),
	auto_complete           INTEGER NOT NULL CHECK (auto_complete IN (0, 1)),
	postmortem_draft        TEXT    NOT NULL,
	postmortem_body         TEXT    NOT NULL,
	postmortem_published_at INTEGER,
	version                 INTEGER NOT NULL CHECK (version > 0)
);

-- An incident's updates, replaced whole with it; position 0 is the
-- newest (the first of Incident.Updates).
CREATE TABLE incident_updates (
	incident_id TEXT    NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
	position    INTEGER NOT NULL CHECK (position >= 0),
	id          TEXT    NOT NULL,
	status      TEXT    NOT NULL,
	body        TEXT    NOT NULL,
	created_at  INTEGER,
	display_at  INTEGER,
	affected    TEXT    NOT NULL CHECK (json_type(affected) = 'array'),
	PRIMARY KEY (incident_id, position)
);

-- The store's write counter (incident.Store.Version): one row, raised
-- by every Commit.
CREATE TABLE page_version (
	id      INTEGER PRIMARY KEY CHECK (id = 1),
	version INTEGER NOT NULL CHECK (version >= 0)
);
INSERT INTO page_version (id, version) VALUES (1, 0);

-- Admin API credentials: the hash only.
CREATE TABLE tokens (
	id         TEXT    PRIMARY KEY,
	name       TEXT    NOT NULL,
	hash       BLOB    NOT NULL,
	created_at INTEGER,
	revoked_at INTEGER
);

-- component_ids '[]': every component.
CREATE TABLE subscribers (
	id            TEXT    PRIMARY KEY,
	url           TEXT    NOT NULL,
	component_ids TEXT    NOT NULL CHECK (json_type(component_ids) = 'array'),
	secret        TEXT    NOT NULL,
	created_at    INTEGER
);

-- The outbox: one row per notification and subscriber, queued in the
-- transaction of the write it tells of, removed once delivered. URL and
-- secret are copied from the subscriber when queued, so no foreign key:
-- a queued delivery is sent as it was queued. AUTOINCREMENT: an id is
-- never reused, so a late Delivered of a removed row cannot remove a
-- newer one.
CREATE TABLE deliveries (
	id            INTEGER PRIMARY KEY AUTOINCREMENT,
	subscriber_id TEXT    NOT NULL,
	url           TEXT    NOT NULL,
	secret        TEXT    NOT NULL,
	payload       BLOB    NOT NULL,
	attempts      INTEGER NOT NULL CHECK (attempts >= 0),
	next_at       INTEGER NOT NULL,
	last_error    TEXT    NOT NULL,
	created_at    INTEGER NOT NULL
);

-- DueDeliveries reads the rows due at a time.
CREATE INDEX deliveries_next_at ON deliveries (next_at);
