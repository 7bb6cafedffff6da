-- 0002: leader leases, for `headroom serve` processes on one machine
-- sharing the file (headroom.Leases).
--
-- A row is never deleted: a released lease keeps its token, so that the
-- next holder's is still larger. expires is UTC Unix nanoseconds in the
-- clock of the process that wrote it; the lease is free when expires is
-- not after now.

CREATE TABLE leases (
	name    TEXT    PRIMARY KEY,
	holder  TEXT    NOT NULL,
	token   INTEGER NOT NULL CHECK (token > 0),
	expires INTEGER NOT NULL
);
