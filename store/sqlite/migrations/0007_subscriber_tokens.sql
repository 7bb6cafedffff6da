-- 0007: the SHA-256 of an email subscriber's token (its secret), indexed:
-- the confirm and unsubscribe links find their subscriber through it
-- (SubscriberByToken) instead of reading every subscriber. NULL for the
-- other channels, whose secret signs deliveries and is no link's token.
-- The store writes it with the row (rows.TokenHash); here the rows stored
-- before it get theirs from headroom_sha256, the Go function store/sqlite
-- registers with the driver. Only this migration calls it: the schema does
-- not need it, so other tools open the file as before.

ALTER TABLE subscribers ADD COLUMN secret_sha256 BLOB;
UPDATE subscribers SET secret_sha256 = headroom_sha256(secret) WHERE channel = 'email';
CREATE INDEX subscribers_secret_sha256 ON subscribers (secret_sha256);
