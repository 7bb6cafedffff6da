-- 0004: draft incidents (incident.Incident.Draft and PublishedAt). A draft
-- is stored as any incident, with its updates; incident.Service keeps it
-- off the public side until it is published. Incidents stored before this
-- migration were public from the start: draft 0, published_at NULL.

ALTER TABLE incidents ADD COLUMN draft INTEGER NOT NULL DEFAULT 0 CHECK (draft IN (0, 1));
ALTER TABLE incidents ADD COLUMN published_at INTEGER;
