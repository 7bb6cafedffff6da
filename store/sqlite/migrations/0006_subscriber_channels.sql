-- 0006: subscribers of every channel (incident.Channel): webhook (all of
-- them before), email with double opt-in, Slack and Teams incoming
-- webhooks. email is an email subscriber's address ('' otherwise);
-- confirmed_at is when it followed its confirm link (NULL: pending, told
-- nothing but the confirmation mail). A delivery copies the channel and
-- address of its subscriber when queued, as it copies url and secret.

ALTER TABLE subscribers ADD COLUMN channel TEXT NOT NULL DEFAULT 'webhook';
ALTER TABLE subscribers ADD COLUMN email TEXT NOT NULL DEFAULT '';
ALTER TABLE subscribers ADD COLUMN confirmed_at INTEGER;

ALTER TABLE deliveries ADD COLUMN channel TEXT NOT NULL DEFAULT 'webhook';
ALTER TABLE deliveries ADD COLUMN email TEXT NOT NULL DEFAULT '';
