-- 0002: leader leases, for `headroom serve` processes sharing the database
-- (headroom.Leases).
--
-- expires is in the server's clock (now()), never a client's. A row is
-- never deleted: a released lease keeps its token, so that the next
-- holder's is still larger.

CREATE TABLE leases (
	name    text        PRIMARY KEY,
	holder  text        NOT NULL,
	token   bigint      NOT NULL CHECK (token > 0),
	expires timestamptz NOT NULL
);
