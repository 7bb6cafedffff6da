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
// disagree still agree on who holds it.
package postgres
