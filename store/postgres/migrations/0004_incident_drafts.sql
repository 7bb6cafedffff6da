-- 0004: draft incidents (incident.Incident.Draft and PublishedAt). A draft
-- is stored as any incident, with its updates; incident.Service keeps it
-- off the public side until it is published. Incidents stored before this
-- migration were public from the start: draft false, published_at NULL.

ALTER TABLE incidents
	ADD COLUMN draft        boolean NOT NULL DEFAULT false,
	ADD COLUMN published_at bigint;
