// Package rows is what store/sqlite and store/postgres share of their
// tables: the column lists, the conversion of each row to and from the
// domain types (headroom.DecisionRecord, headroom.Intent, the incident
// package's components, incidents, updates, history, tokens, subscribers
// and deliveries), and the loop that scans a result. The SQL stays with
// each store, in its own dialect (`?` or `$n`, casts, collations), and so
// does the driver (database/sql or pgx) and the wrapping of errors.
//
// Both drivers scan into and take the same Go types: a nullable column is
// a pointer (nil for NULL), a time is UTC Unix nanoseconds (NULL for the
// zero time), a list is a JSON array in a text column.
package rows
