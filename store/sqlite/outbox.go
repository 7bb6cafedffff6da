package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/headroomhq/headroom"
	"github.com/headroomhq/headroom/incident"
	"github.com/headroomhq/headroom/store/internal/rows"
)

const (
	insertToken  = `INSERT INTO tokens (` + rows.TokenColumns + `) VALUES (?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`
	selectTokens = `SELECT ` + rows.TokenColumns + ` FROM tokens ORDER BY created_at, id`
	// revokeToken keeps the first revocation time; it matches the row
	// either way, so that an unknown id is told from a revoked one.
	revokeToken = `UPDATE tokens SET revoked_at = coalesce(revoked_at, ?) WHERE id = ?`

	insertSubscriber = `INSERT INTO subscribers (` + rows.SubscriberColumns + `, secret_sha256) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (id) DO NOTHING`
	// confirmSubscriber keeps the first confirmation time; it matches the
	// row either way, so that an unknown id is told from a confirmed one.
	confirmSubscriber = `UPDATE subscribers SET confirmed_at = coalesce(confirmed_at, ?) WHERE id = ?`
	selectSubscribers = `SELECT ` + rows.SubscriberColumns + ` FROM subscribers ORDER BY created_at, id`
	// selectByToken finds an email subscriber through the
	// subscribers_secret_sha256 index (0007); the secret itself is
	// compared too, which a hash collision alone would not pass.
	selectByToken    = `SELECT ` + rows.SubscriberColumns + ` FROM subscribers WHERE secret_sha256 = ? AND channel = 'email' AND secret = ?`
	deleteSubscriber = `DELETE FROM subscribers WHERE id = ?`
	deleteQueued     = `DELETE FROM deliveries WHERE subscriber_id = ?`

	insertDelivery = `INSERT INTO deliveries (subscriber_id, channel, url, email, secret, payload, attempts, next_at, last_error, created_at)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, 0, ?7, '', ?7)`
	// selectDue returns the due deliveries in the order they were queued:
	// ids only grow (AUTOINCREMENT).
	selectDue = `SELECT ` + rows.DeliveryColumns + ` FROM deliveries WHERE next_at <= ? ORDER BY id LIMIT ?`
	// selectQueued returns each subscriber's oldest deliveries.
	selectQueued = `SELECT ` + rows.DeliveryColumns + `
FROM (SELECT *, row_number() OVER (PARTITION BY subscriber_id ORDER BY id) AS n FROM deliveries) AS q
WHERE n <= ? ORDER BY id`
	deleteDelivery = `DELETE FROM deliveries WHERE id = ?`
	retryDelivery  = `UPDATE deliveries SET attempts = attempts + 1, next_at = ?, last_error = ? WHERE id = ?`
)

// changed runs an INSERT, UPDATE or DELETE on a *sql.DB or *sql.Tx and
// returns how many rows it changed.
func changed(ctx context.Context, db interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}, query string, args ...any) (int64, error) {
	res, err := db.ExecContext(ctx, query, args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// CreateToken stores t.
//
// Errors: ECONFLICT when a token has t.ID already; EINVALID when t has no
// ID or a time is outside what UnixNano represents; EINTERNAL when the database fails.
func (db *DB) CreateToken(ctx context.Context, t incident.Token) error {
	if t.ID == "" {
		return headroom.Errorf(headroom.EINVALID, "create token: id: empty, expected the token's ID")
	}
	values, err := rows.TokenValues(t)
	if err != nil {
		return invalid("create token %s: %w", t.ID, err)
	}
	n, err := changed(ctx, db.write, insertToken, values...)
	if err != nil {
		return internal("create token %s: %w", t.ID, err)
	}
	if n == 0 {
		return headroom.Errorf(headroom.ECONFLICT, "create token %s: the id is taken", t.ID)
	}
	return nil
}

// Tokens returns every token, revoked ones too, oldest first.
//
// Errors: EINTERNAL when the database fails.
func (db *DB) Tokens(ctx context.Context) ([]incident.Token, error) {
	out, err := query(ctx, db.read, rows.ScanToken, selectTokens)
	if err != nil {
		return nil, internal("read tokens: %w", err)
	}
	return out, nil
}

// RevokeToken marks token id revoked at at; a token revoked already keeps
// its first revocation time.
//
// Errors: ENOTFOUND for an unknown id; EINVALID when at is zero or
// outside what UnixNano represents; EINTERNAL when the database fails.
func (db *DB) RevokeToken(ctx context.Context, id string, at time.Time) error {
	revoked, err := rows.Nanos(at)
	if err != nil || revoked == nil {
		return headroom.Errorf(headroom.EINVALID, "revoke token %s: time %v, want one between 1678 and 2262", id, at)
	}
	n, err := changed(ctx, db.write, revokeToken, revoked, id)
	if err != nil {
		return internal("revoke token %s: %w", id, err)
	}
	if n == 0 {
		return headroom.Errorf(headroom.ENOTFOUND, "revoke token %s: no such token", id)
	}
	return nil
}

// AddSubscriber stores s; with no ComponentIDs it is told of every
// component. A Pending s gets, in the same transaction, one delivery of
// incident.ConfirmPayload, due now (its confirmation mail).
//
// Errors: ECONFLICT when a subscriber has s.ID already; EINVALID when s
// has no ID or s.CreatedAt is outside what UnixNano represents; EINTERNAL when the
// database fails.
func (db *DB) AddSubscriber(ctx context.Context, s incident.Subscriber) error {
	if s.ID == "" {
		return headroom.Errorf(headroom.EINVALID, "add subscriber: id: empty, expected the subscriber's ID")
	}
	values, err := rows.SubscriberValues(s)
	if err != nil {
		return invalid("add subscriber %s: %w", s.ID, err)
	}
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return internal("add subscriber %s: %w", s.ID, err)
	}
	defer tx.Rollback()
	var tokenHash []byte // NULL: the secret of another channel is no link's token
	if rows.Channel(s.Channel) == incident.ChannelEmail {
		tokenHash = rows.TokenHash(s.Secret)
	}
	n, err := changed(ctx, tx, insertSubscriber, append(values, tokenHash)...)
	if err != nil {
		return internal("add subscriber %s: %w", s.ID, err)
	}
	if n == 0 {
		return headroom.Errorf(headroom.ECONFLICT, "add subscriber %s: the id is taken", s.ID)
	}
	if s.Pending() {
		if err := queueOne(ctx, tx, s, incident.ConfirmPayload, db.Now()); err != nil {
			return internal("add subscriber %s: confirmation: %w", s.ID, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return internal("add subscriber %s: %w", s.ID, err)
	}
	return nil
}

// ConfirmSubscriber sets subscriber id's ConfirmedAt to at, unless it is
// set already.
//
// Errors: ENOTFOUND for an unknown id; EINVALID when at is zero or
// outside what UnixNano represents; EINTERNAL when the database fails.
func (db *DB) ConfirmSubscriber(ctx context.Context, id string, at time.Time) error {
	n, err := rows.Nanos(at)
	if err != nil || n == nil {
		return headroom.Errorf(headroom.EINVALID, "confirm subscriber %s: time %v, want one between 1678 and 2262", id, at)
	}
	changedRows, err := changed(ctx, db.write, confirmSubscriber, n, id)
	if err != nil {
		return internal("confirm subscriber %s: %w", id, err)
	}
	if changedRows == 0 {
		return headroom.Errorf(headroom.ENOTFOUND, "confirm subscriber %s: no such subscriber", id)
	}
	return nil
}

// queueOne inserts one delivery of payload to s, due at now.
func queueOne(ctx context.Context, tx *sql.Tx, s incident.Subscriber, payload []byte, now time.Time) error {
	at, err := rows.Nanos(now)
	if err == nil && at == nil {
		err = errors.New("zero time")
	}
	if err != nil {
		return fmt.Errorf("the clock: %w", err)
	}
	_, err = tx.ExecContext(ctx, insertDelivery, s.ID, string(rows.Channel(s.Channel)), s.URL, s.Email, s.Secret, payload, *at)
	return err
}

// Subscribers returns every subscriber, oldest first.
//
// Errors: EINTERNAL when the database fails.
func (db *DB) Subscribers(ctx context.Context) ([]incident.Subscriber, error) {
	subs, err := subscribers(ctx, db.read)
	if err != nil {
		return nil, internal("read subscribers: %w", err)
	}
	return subs, nil
}

func subscribers(ctx context.Context, q querier) ([]incident.Subscriber, error) {
	return query(ctx, q, rows.ScanSubscriber, selectSubscribers)
}

// SubscriberByToken returns the email subscriber whose Secret is token,
// found through the index of the tokens' SHA-256.
//
// Errors: ENOTFOUND when no email subscriber has token; EINTERNAL when
// the database fails.
func (db *DB) SubscriberByToken(ctx context.Context, token string) (incident.Subscriber, error) {
	found, err := query(ctx, db.read, rows.ScanSubscriber, selectByToken, rows.TokenHash(token), token)
	if err != nil {
		return incident.Subscriber{}, internal("read the subscriber of a token: %w", err)
	}
	if len(found) == 0 || token == "" {
		return incident.Subscriber{}, headroom.Errorf(headroom.ENOTFOUND, "read the subscriber of a token: no such subscriber")
	}
	return found[0], nil
}

// RemoveSubscriber removes subscriber id and, in the same transaction, its
// queued deliveries: an unsubscribed receiver is not called again.
//
// Errors: ENOTFOUND for an unknown id; EINTERNAL when the database fails.
func (db *DB) RemoveSubscriber(ctx context.Context, id string) error {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return internal("remove subscriber %s: %w", id, err)
	}
	defer tx.Rollback()
	n, err := changed(ctx, tx, deleteSubscriber, id)
	if err != nil {
		return internal("remove subscriber %s: %w", id, err)
	}
	if n == 0 {
		return headroom.Errorf(headroom.ENOTFOUND, "remove subscriber %s: no such subscriber", id)
	}
	if _, err := tx.ExecContext(ctx, deleteQueued, id); err != nil {
		return internal("remove subscriber %s: deliveries: %w", id, err)
	}
	if err := tx.Commit(); err != nil {
		return internal("remove subscriber %s: %w", id, err)
	}
	return nil
}

// DueDeliveries returns at most limit deliveries whose NextAt is at or
// before now, in the order they were queued.
//
// Errors: EINVALID when limit is below 1 or now is outside what UnixNano
// represents;
// EINTERNAL when the database fails.
func (db *DB) DueDeliveries(ctx context.Context, now time.Time, limit int) ([]incident.Delivery, error) {
	if limit < 1 {
		return nil, headroom.Errorf(headroom.EINVALID, "read due deliveries: limit %d, expected at least 1", limit)
	}
	n, err := rows.Nanos(now)
	if err != nil {
		return nil, invalid("read due deliveries: now: %w", err)
	}
	return db.deliveries(ctx, "read due deliveries", selectDue, n, limit)
}

// Queued returns each subscriber's oldest perSubscriber deliveries, due or
// not, in the order they were queued.
//
// Errors: EINVALID when perSubscriber is below 1; EINTERNAL when the
// database fails.
func (db *DB) Queued(ctx context.Context, perSubscriber int) ([]incident.Delivery, error) {
	if perSubscriber < 1 {
		return nil, headroom.Errorf(headroom.EINVALID, "read queued deliveries: perSubscriber %d, expected at least 1", perSubscriber)
	}
	return db.deliveries(ctx, "read queued deliveries", selectQueued, perSubscriber)
}

// deliveries runs a query of deliveries' columns.
func (db *DB) deliveries(ctx context.Context, what, stmt string, args ...any) ([]incident.Delivery, error) {
	out, err := query(ctx, db.read, rows.ScanDelivery, stmt, args...)
	if err != nil {
		return nil, internal("%s: %w", what, err)
	}
	return out, nil
}

// Delivered removes delivery id; it does nothing when there is none (a
// sender that reports twice).
//
// Errors: EINTERNAL when the database fails.
func (db *DB) Delivered(ctx context.Context, id int64) error {
	if _, err := db.write.ExecContext(ctx, deleteDelivery, id); err != nil {
		return internal("remove delivery %d: %w", id, err)
	}
	return nil
}

// Retry records a failed attempt of delivery id: one more attempt,
// lastError, and next as the time to try again. It does nothing when
// there is no such delivery (delivered meanwhile).
//
// Errors: EINVALID when next is zero or outside what UnixNano represents;
// EINTERNAL when the database fails.
func (db *DB) Retry(ctx context.Context, id int64, next time.Time, lastError string) error {
	n, err := rows.Nanos(next)
	if err != nil || n == nil {
		return headroom.Errorf(headroom.EINVALID, "retry delivery %d: next %v, want a time between 1678 and 2262", id, next)
	}
	if _, err := db.write.ExecContext(ctx, retryDelivery, n, lastError, id); err != nil {
		return internal("retry delivery %d: %w", id, err)
	}
	return nil
}
