// Package memory holds the stores' test doubles: a headroom.Journal
// (Journal, whose fenced writes check a Leases), a headroom.Leases (Leases)
// and an incident.Store (Incidents), all in memory. They pass the contract
// suites store/sqlite and store/postgres pass (store/storetest), so a test
// of the controller, the status page or the CLI can use one in place of a
// database file.
//
// They are for tests only: `headroom serve` always keeps its journal,
// leases and status page in SQLite or PostgreSQL, and no program of the
// module imports this package. It imports the root and incident only.
package memory
