package postgres

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/headroomhq/headroom"
	"github.com/headroomhq/headroom/incident"
	"github.com/headroomhq/headroom/store/internal/rows"
)

var _ incident.Store = (*DB)(nil)

// incidentColumns are the incidents columns, in the order of the values
// storeIncident passes; id comes first and version last.
var incidentColumns = rows.IncidentColumns

var (
	// selectIncidents reads component_ids as text, which decodeIDs takes.
	selectIncidents = `SELECT ` + strings.Replace(strings.Join(incidentColumns, ", "), "component_ids", "component_ids::text", 1) +
		` FROM incidents ORDER BY created_at DESC NULLS LAST, id COLLATE "C"`
	// insertIncident stores a new incident; it changes no row when the
	// id is taken.
	insertIncident = `INSERT INTO incidents (` + strings.Join(incidentColumns, ", ") + `) VALUES (` +
		placeholders(len(incidentColumns)) + `) ON CONFLICT (id) DO NOTHING`
	// updateIncident replaces an incident when its stored version is the
	// last argument; it changes no row otherwise. Under READ COMMITTED an
	// UPDATE that waited for another writer's row lock re-checks the
	// WHERE on the row that writer left.
	updateIncident = `UPDATE incidents SET ` + assignments(incidentColumns[1:], 2) +
		` WHERE id = $1 AND version = $` + strconv.Itoa(len(incidentColumns)+1)
)

const (
	selectPageVersion = `SELECT version FROM page_version WHERE id = 1`
	raisePageVersion  = `UPDATE page_version SET version = version + 1 WHERE id = 1`

	selectComponents = `SELECT ` + rows.ComponentColumns + ` FROM components ORDER BY position, id COLLATE "C"`
	upsertComponent  = `INSERT INTO components (` + rows.ComponentColumns + `) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
ON CONFLICT (id) DO UPDATE SET name = excluded.name, description = excluded.description,
	group_id = excluded.group_id, position = excluded.position, status = excluded.status,
	created_at = excluded.created_at, updated_at = excluded.updated_at`

	selectHistory = `SELECT ` + rows.HistoryColumns + ` FROM component_history`
	insertHistory = `INSERT INTO component_history (` + rows.HistoryColumns + `) VALUES ($1, $2, $3, $4)`

	selectUpdates = `SELECT incident_id, id, status, body, created_at, display_at, affected::text
FROM incident_updates ORDER BY incident_id, seq DESC`
	insertUpdate   = `INSERT INTO incident_updates (` + rows.UpdateColumns + `) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`
	deleteUpdates  = `DELETE FROM incident_updates WHERE incident_id = $1`
	selectIncident = `SELECT version FROM incidents WHERE id = $1`
)

// placeholders returns "$1, $2, ..., $n".
func placeholders(n int) string {
	p := make([]string, n)
	for i := range p {
		p[i] = "$" + strconv.Itoa(i+1)
	}
	return strings.Join(p, ", ")
}

// assignments returns "a = $first, b = $first+1, ...".
func assignments(cols []string, first int) string {
	a := make([]string, len(cols))
	for i, c := range cols {
		a[i] = c + " = $" + strconv.Itoa(first+i)
	}
	return strings.Join(a, ", ")
}

// Load returns the components, the incidents (newest first, each with
// its updates newest first), the history at or after since (oldest first,
// ties in append order; everything for a zero since) and the version, all
// from one REPEATABLE READ snapshot.
//
// Errors: EINVALID when since is outside what UnixNano represents;
// EUNAVAILABLE when the server cannot be reached; EINTERNAL otherwise.
func (db *DB) Load(ctx context.Context, since time.Time) (*incident.Data, error) {
	from, err := rows.Nanos(since)
	if err != nil {
		return nil, &headroom.Error{Code: headroom.EINVALID, Err: fmt.Errorf("load status page: since: %w", err)}
	}
	// One snapshot: a Commit is seen whole or not at all.
	tx, err := db.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return nil, storeError("load status page: %w", err)
	}
	defer tx.Rollback(ctx)
	d := &incident.Data{}
	if err := tx.QueryRow(ctx, selectPageVersion).Scan(&d.Version); err != nil {
		return nil, storeError("load status page: version: %w", err)
	}
	if d.Components, err = loadComponents(ctx, tx); err != nil {
		return nil, storeError("load status page: components: %w", err)
	}
	if d.Incidents, err = loadIncidents(ctx, tx); err != nil {
		return nil, storeError("load status page: incidents: %w", err)
	}
	if d.History, err = loadHistory(ctx, tx, from); err != nil {
		return nil, storeError("load status page: history: %w", err)
	}
	return d, nil
}

func loadComponents(ctx context.Context, tx pgx.Tx) ([]incident.Component, error) {
	return query(ctx, tx, rows.ScanComponent, selectComponents)
}

func loadIncidents(ctx context.Context, tx pgx.Tx) ([]incident.Incident, error) {
	incs, err := query(ctx, tx, rows.ScanIncident, selectIncidents)
	if err != nil {
		return nil, err
	}
	us, err := query(ctx, tx, rows.ScanUpdate, selectUpdates)
	if err != nil {
		return nil, err
	}
	return incs, rows.AttachUpdates(incs, us)
}

func loadHistory(ctx context.Context, tx pgx.Tx, from *int64) ([]incident.StatusChange, error) {
	q, args := selectHistory, []any{}
	if from != nil {
		q += ` WHERE at >= $1`
		args = append(args, *from)
	}
	return query(ctx, tx, rows.ScanStatusChange, q+` ORDER BY at NULLS FIRST, id`, args...)
}

// Version returns the number of Commits the database has taken.
//
// Errors: EUNAVAILABLE when the server cannot be reached; EINTERNAL
// otherwise.
func (db *DB) Version(ctx context.Context) (int64, error) {
	var v int64
	if err := db.pool.QueryRow(ctx, selectPageVersion).Scan(&v); err != nil {
		return 0, storeError("read status page version: %w", err)
	}
	return v, nil
}

// Commit applies c in one transaction, stamped with one reading of Now:
// the version is raised first (its row lock has Commits take turns, so
// that two of them never deadlock on the rows they share), components
// upserted, history appended, the incident replaced whole (its updates
// too) and one delivery queued per subscriber the notification concerns,
// due at once. When it returns nil, all of it is committed.
//
// Errors: ECONFLICT when c.Incident's version is not the stored one plus
// one (1 for a new incident): nothing is stored; EINVALID when c is nil, a
// component or the incident has no ID, a time is outside what UnixNano represents, or text is not valid UTF-8
// without NUL; EUNAVAILABLE when the server cannot be reached; EINTERNAL
// otherwise.
func (db *DB) Commit(ctx context.Context, c *incident.Change) error {
	if err := checkChange(c); err != nil {
		return err
	}
	now := db.Now()
	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return storeError("commit: %w", err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, raisePageVersion); err != nil {
		return storeError("commit: raise version: %w", err)
	}
	for _, comp := range c.Components {
		if err := storeComponent(ctx, tx, comp); err != nil {
			return err
		}
	}
	for _, h := range c.History {
		values, err := rows.HistoryValues(h)
		if err != nil {
			return invalid("commit: history of %s: %w", h.ComponentID, err)
		}
		if _, err := tx.Exec(ctx, insertHistory, values...); err != nil {
			return storeError("commit: history of %s: %w", h.ComponentID, err)
		}
	}
	if c.Incident != nil {
		if err := storeIncident(ctx, tx, c.Incident, c.Replaces); err != nil {
			return err
		}
	}
	if c.Notify != nil {
		if err := queue(ctx, tx, c.Notify, now); err != nil {
			return err
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return storeError("commit: %w", err)
	}
	return nil
}

// checkChange refuses what no store keeps: no change, a component or an
// incident without an ID.
func checkChange(c *incident.Change) error {
	if c == nil {
		return headroom.Errorf(headroom.EINVALID, "commit: nil change")
	}
	for i, comp := range c.Components {
		if comp.ID == "" {
			return headroom.Errorf(headroom.EINVALID, "commit: components[%d].id: empty, expected the component's ID", i)
		}
	}
	if c.Incident != nil && c.Incident.ID == "" {
		return headroom.Errorf(headroom.EINVALID, "commit: incident.id: empty, expected the incident's ID")
	}
	return nil
}

func storeComponent(ctx context.Context, tx pgx.Tx, c incident.Component) error {
	values, err := rows.ComponentValues(c)
	if err != nil {
		return invalid("commit: component %s: %w", c.ID, err)
	}
	if _, err := tx.Exec(ctx, upsertComponent, values...); err != nil {
		return storeError("commit: component %s: %w", c.ID, err)
	}
	return nil
}

// storeIncident replaces i and its updates when the stored version is
// i.Version-1, or inserts it at version 1. was, when not nil, is what the
// write replaces (incident.Change.Replaces): when i only adds updates to
// it, those alone are inserted.
func storeIncident(ctx context.Context, tx pgx.Tx, i, was *incident.Incident) error {
	values, err := rows.IncidentValues(i)
	if err != nil {
		return invalid("commit: incident %s: %w", i.ID, err)
	}
	var n int64
	switch {
	case i.Version == 1:
		tag, err := tx.Exec(ctx, insertIncident, values...)
		if err != nil {
			return storeError("commit: incident %s: %w", i.ID, err)
		}
		n = tag.RowsAffected()
	case i.Version > 1:
		tag, err := tx.Exec(ctx, updateIncident, append(values, i.Version-1)...)
		if err != nil {
			return storeError("commit: incident %s: %w", i.ID, err)
		}
		n = tag.RowsAffected()
	default:
		return headroom.Errorf(headroom.ECONFLICT, "commit: incident %s: version %d, want the stored version plus one, or 1 for a new incident", i.ID, i.Version)
	}
	if n == 0 {
		return conflict(ctx, tx, i)
	}
	// When was is the version the UPDATE replaced (its WHERE matched
	// i.Version-1), its updates are stored: only i's new ones are
	// written (rows.NewUpdates); otherwise all of them, afresh.
	fresh, keep := rows.NewUpdates(was, i)
	if !keep {
		if _, err := tx.Exec(ctx, deleteUpdates, i.ID); err != nil {
			return storeError("commit: incident %s: updates: %w", i.ID, err)
		}
	}
	for j, u := range i.Updates[:fresh] {
		values, err := rows.UpdateValues(i, j)
		if err != nil {
			return invalid("commit: incident %s: update %s: %w", i.ID, u.ID, err)
		}
		if _, err := tx.Exec(ctx, insertUpdate, values...); err != nil {
			return storeError("commit: incident %s: update %s: %w", i.ID, u.ID, err)
		}
	}
	return nil
}

// conflict returns the ECONFLICT of a write of i that changed no row,
// saying what is stored.
func conflict(ctx context.Context, tx pgx.Tx, i *incident.Incident) error {
	var stored int64
	err := tx.QueryRow(ctx, selectIncident, i.ID).Scan(&stored)
	switch {
	case isNoRows(err):
		return headroom.Errorf(headroom.ECONFLICT, "commit: incident %s: version %d, but it is not stored: a new incident has version 1", i.ID, i.Version)
	case err != nil:
		return storeError("commit: incident %s: %w", i.ID, err)
	}
	return headroom.Errorf(headroom.ECONFLICT, "commit: incident %s: version %d, want %d: it was written since it was read", i.ID, i.Version, stored+1)
}

// queue inserts one delivery of n per subscriber it concerns, due at now.
func queue(ctx context.Context, tx pgx.Tx, n *incident.Notification, now time.Time) error {
	at, err := rows.Nanos(now)
	if err == nil && at == nil {
		err = errors.New("zero time")
	}
	if err != nil {
		return &headroom.Error{Code: headroom.EINTERNAL, Err: fmt.Errorf("commit: notify: the clock: %w", err)}
	}
	subs, err := subscribers(ctx, tx, lockSubscribers)
	if err != nil {
		return storeError("commit: notify: %w", err)
	}
	payload := n.Payload
	if payload == nil {
		payload = []byte{} // NOT NULL
	}
	for _, s := range subs {
		if !s.Concerns(n.ComponentIDs) {
			continue
		}
		if _, err := tx.Exec(ctx, insertDelivery, s.ID, string(rows.Channel(s.Channel)), s.URL, s.Email, s.Secret, payload, *at); err != nil {
			return storeError("commit: notify %s: %w", s.ID, err)
		}
	}
	return nil
}

// invalid wraps an error as an EINVALID *headroom.Error.
func invalid(format string, args ...any) error {
	return &headroom.Error{Code: headroom.EINVALID, Err: fmt.Errorf(format, args...)}
}
