// Package sqlite keeps the controller's journal — decision records and the
// engine's saved state — in a SQLite file, with the pure-Go driver
// modernc.org/sqlite (no cgo). It also hands out leader leases
// (headroom.Leases) to the `headroom serve` processes of one machine that
// share the file: each Acquire is one write transaction, and expiry is
// counted in the machine's clock (DB.Now). A fenced journal write
// (DB.Fenced) checks the lease's token in the statement that writes, under
// the file's one write lock; a record that settles an intent deletes it in
// the same transaction.
//
// The same DB is the status page's incident.Store: components and their
// history, incidents with their updates, admin tokens, webhook subscribers
// and the outbox of deliveries. A Commit is one write transaction: it
// raises the page's version, checks and replaces the incident, and queues
// its deliveries, so a notification of an acknowledged write is never
// lost; Load reads in one transaction, so it sees a Commit whole or not at
// all.
//
// Open sets, on every connection, busy_timeout, foreign_keys=ON and
// synchronous=NORMAL, and puts the file in WAL mode: a committed Append
// survives the process being killed (a power loss may lose the last
// transactions, never corrupt the file). Writes go through one connection;
// reads use a separate pool that runs beside the writer.
//
// The schema is versioned: migrations/NNNN_name.sql files are embedded in
// the binary and applied in order by Open, each in its own transaction with
// its row in schema_migrations (version, applied_at). A failing migration
// fails Open; re-opening applies only the new ones.
//
// Times are stored as UTC Unix nanoseconds (NULL for the zero time) and
// read back in UTC, so records sort and compare as integers.
package sqlite
