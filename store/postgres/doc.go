// Package postgres keeps the controller's journal — decision records and
// the engine's saved state — in PostgreSQL, with pgx, and hands out the
// leader leases several `headroom serve` processes share (headroom.Leases).
//
// Open connects a pool and applies the migrations the database has not
// seen: migrations/NNNN_name.sql files embedded in the binary, each in its
// own transaction with its row in schema_migrations (version, applied_at),
// under a transaction-scoped advisory lock, so that processes starting at
// once apply each migration once. A failing migration fails Open.
//
// Record times are stored as UTC Unix nanoseconds (bigint), as in
// store/sqlite: records read back to the nanosecond, in UTC. Text that
// PostgreSQL cannot hold — invalid UTF-8, NUL bytes — is replaced with
// U+FFFD in the free-form fields (reason messages, the error), so that an
// odd byte in a command's output does not lose the record; in a target,
// mode or reason code it is refused (EINVALID).
//
// A lease's expiry is computed by the server, from now() plus the TTL, in
// one INSERT ... ON CONFLICT DO UPDATE statement: replicas whose clocks
// disagree still agree on who holds it. A fenced journal write
// (DB.Fenced) is one statement that locks the lease's row FOR SHARE and
// writes only while its token is not above the writer's, so a takeover
// waits for it to commit and a write after the takeover is refused; an
// intent is closed by the statement that inserts the record settling it.
//
// The same DB is the status page's incident.Store, shared by every
// replica: components and their history, incidents with their updates,
// admin tokens, webhook subscribers and the outbox of deliveries. A Commit
// is one transaction that first raises the page's version, whose row lock
// has Commits take turns; the incident is then written only if its stored
// version is the one the writer read, and its deliveries are queued in
// the same transaction. Load reads one REPEATABLE READ snapshot. Text of
// the status page that PostgreSQL cannot hold is refused (EINVALID), but
// for a receiver's error kept by Retry, which is stored with U+FFFD.
package postgres
