// Package storetest is the contract every headroom.Journal implementation
// passes: store/sqlite runs it against a SQLite file, the PostgreSQL store
// against a real server, store/memory in memory.
//
// An implementation's test calls RunJournal with a func that opens a new,
// empty journal (registering its cleanup with t.Cleanup) and, for a
// persistent store, the Reopen option, which closes a journal and opens the
// same storage again so the suite can check that records survive:
//
//	func TestJournal(t *testing.T) {
//		storetest.RunJournal(t, func(t *testing.T) headroom.Journal {
//			db := open(t, filepath.Join(t.TempDir(), "j.db"))
//			t.Cleanup(func() { db.Close() })
//			return db
//		}, storetest.Reopen(func(t *testing.T, j headroom.Journal) headroom.Journal {
//			...
//		}))
//	}
//
// RunJournal includes the write-ahead intents (Intend, OpenIntents, the
// record that settles one). RunFencing checks Journal.Fenced against the
// leases of the same storage (two handles on it, as two processes have):
// an old leader's writes are refused once another took the lease, and
// none lands after the takeover returned.
//
// Skip names a subtest to skip for a known defect, with the reason; the
// skip is reported by go test -v, and a name that matches no subtest fails.
// Subtests run one at a time, never in parallel.
package storetest
