-- 0007: the SHA-256 of an email subscriber's token (its secret), indexed:
-- the confirm and unsubscribe links find their subscriber through it
-- (SubscriberByToken) instead of reading every subscriber. NULL for the
-- other channels, whose secret signs deliveries and is no link's token.
-- A generated column: the rows stored before it get theirs here, and a
-- process of an older headroom sharing the database while a new one
-- rolls out writes rows the new one finds. It is the SHA-256 of the
-- token's UTF-8 bytes, as store/internal/rows.TokenHash computes it.

-- convert_to is only STABLE (it looks up the conversion between two
-- encodings), which a generated column refuses; to UTF8 from a database's
-- own encoding, fixed when it is created, it always gives the same bytes.
CREATE FUNCTION headroom_token_sha256(token text) RETURNS bytea
	LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
	AS $$ SELECT sha256(convert_to(token, 'UTF8')) $$;

ALTER TABLE subscribers ADD COLUMN secret_sha256 bytea
	GENERATED ALWAYS AS (CASE WHEN channel = 'email' THEN headroom_token_sha256(secret) END) STORED;
CREATE INDEX subscribers_secret_sha256 ON subscribers (secret_sha256);
