package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/headroomhq/headroom"
	"github.com/headroomhq/headroom/incident"
	"github.com/headroomhq/headroom/store/internal/rows"
)

const (
	insertToken  = `INSERT INTO tokens (` + rows.TokenColumns + `) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (id) DO NOTHING`
	selectTokens = `SELECT ` + rows.TokenColumns + ` FROM tokens ORDER BY created_at, id COLLATE "C"`
	// revokeToken keeps the first revocation time; it matches the row
	// either way, so that an unknown id is told from a revoked one.
	revokeToken = `UPDATE tokens SET revoked_at = coalesce(revoked_at, $1) WHERE id = $2`

	insertSubscriber = `INSERT INTO subscribers (` + rows.SubscriberColumns + `) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
ON CONFLICT (id) DO NOTHING`
	// confirmSubscriber keeps the first confirmation time; it matches the
	// row either way, so that an unknown id is told from a confirmed one.
	confirmSubscriber = `UPDATE subscribers SET confirmed_at = coalesce(confirmed_at, $1) WHERE id = $2`
	// selectSubscribers reads component_ids as text, which decodeIDs
	// takes.
	selectSubscribers = `SELECT id, channel, url, email, component_ids::text, secret, created_at, confirmed_at FROM subscribers ORDER BY created_at, id COLLATE "C"`
	// lockSubscribers is selectSubscribers for a Commit: it keeps the
	// rows from being removed until the Commit's deliveries are in.
	lockSubscribers = selectSubscribers + ` FOR SHARE`
	// selectByToken finds an email subscriber through the
	// subscribers_secret_sha256 index (0007); the secret itself is
	// compared too, which a hash collision alone would not pass.
	selectByToken = `SELECT id, channel, url, email, component_ids::text, secret, created_at, confirmed_at FROM subscribers
WHERE secret_sha256 = $1 AND channel = 'email' AND secret = $2`
	deleteSubscriber = `DELETE FROM subscribers WHERE id = $1`
	deleteQueued     = `DELETE FROM deliveries WHERE subscriber_id = $1`

	insertDelivery = `INSERT INTO deliveries (subscriber_id, channel, url, email, secret, payload, attempts, next_at, last_error, created_at)
VALUES ($1, $2, $3, $4, $5, $6, 0, $7, '', $7)`
	// selectDue returns the due deliveries in the order they were queued:
	// Commits take turns (the page_version lock), so identities grow in
	// commit order.
	selectDue = `SELECT ` + rows.DeliveryColumns + ` FROM deliveries WHERE next_at <= $1 ORDER BY id LIMIT $2`
	// selectQueued returns each subscriber's oldest deliveries.
	selectQueued = `SELECT ` + rows.DeliveryColumns + `
FROM (SELECT *, row_number() OVER (PARTITION BY subscriber_id ORDER BY id) AS n FROM deliveries) AS q
WHERE n <= $1 ORDER BY id`
	deleteDelivery = `DELETE FROM deliveries WHERE id = $1`
	retryDelivery  = `UPDATE deliveries SET attempts = attempts + 1, next_at = $1, last_error = $2 WHERE id = $3`
)

// changed runs an INSERT, UPDATE or DELETE and returns how many rows it
// changed.
func (db *DB) changed(ctx context.Context, query string, args ...any) (int64, error) {
	tag, err := db.pool.Exec(ctx, query, args...)
	if err != nil {
		return 0, err
	}
	return tag.RowsAffected(), nil
}

// querier is a pool or a transaction.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// CreateToken stores t.
//
// Errors: ECONFLICT when a token has t.ID already; EINVALID when t has no
// ID or a time is outside what UnixNano represents or text is not valid UTF-8 without
// NUL; EUNAVAILABLE when the server cannot be reached; EINTERNAL
// otherwise.
func (db *DB) CreateToken(ctx context.Context, t incident.Token) error {
	if t.ID == "" {
		return headroom.Errorf(headroom.EINVALID, "create token: id: empty, expected the token's ID")
	}
	values, err := rows.TokenValues(t)
	if err != nil {
		return invalid("create token %s: %w", t.ID, err)
	}
	n, err := db.changed(ctx, insertToken, values...)
	if err != nil {
		return storeError("create token %s: %w", t.ID, err)
	}
	if n == 0 {
		return headroom.Errorf(headroom.ECONFLICT, "create token %s: the id is taken", t.ID)
	}
	return nil
}

// Tokens returns every token, revoked ones too, oldest first.
//
// Errors: EUNAVAILABLE when the server cannot be reached; EINTERNAL
// otherwise.
func (db *DB) Tokens(ctx context.Context) ([]incident.Token, error) {
	out, err := query(ctx, db.pool, rows.ScanToken, selectTokens)
	if err != nil {
		return nil, storeError("read tokens: %w", err)
	}
	return out, nil
}

// RevokeToken marks token id revoked at at; a token revoked already keeps
// its first revocation time.
//
// Errors: ENOTFOUND for an unknown id; EINVALID when at is zero or
// outside what UnixNano represents; EUNAVAILABLE when the server cannot
// be reached; EINTERNAL otherwise.
func (db *DB) RevokeToken(ctx context.Context, id string, at time.Time) error {
	revoked, err := rows.Nanos(at)
	if err != nil || revoked == nil {
		return headroom.Errorf(headroom.EINVALID, "revoke token %s: time %v, want one between 1678 and 2262", id, at)
	}
	n, err := db.changed(ctx, revokeToken, revoked, id)
	if err != nil {
		return storeError("revoke token %s: %w", id, err)
	}
	if n == 0 {
		return headroom.Errorf(headroom.ENOTFOUND, "revoke token %s: no such token", id)
	}
	return nil
}

// AddSubscriber stores s; with no ComponentIDs it is told of every
// component.
//
// Errors: ECONFLICT when a subscriber has s.ID already; EINVALID when s
// has no ID or s.CreatedAt is outside what UnixNano represents or text is not valid
// UTF-8 without NUL; EUNAVAILABLE when the server cannot be reached;
// EINTERNAL otherwise.
func (db *DB) AddSubscriber(ctx context.Context, s incident.Subscriber) error {
	if s.ID == "" {
		return headroom.Errorf(headroom.EINVALID, "add subscriber: id: empty, expected the subscriber's ID")
	}
	values, err := rows.SubscriberValues(s)
	if err != nil {
		return invalid("add subscriber %s: %w", s.ID, err)
	}
	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return storeError("add subscriber %s: %w", s.ID, err)
	}
	defer tx.Rollback(ctx)
	tag, err := tx.Exec(ctx, insertSubscriber, values...)
	if err != nil {
		return storeError("add subscriber %s: %w", s.ID, err)
	}
	if tag.RowsAffected() == 0 {
		return headroom.Errorf(headroom.ECONFLICT, "add subscriber %s: the id is taken", s.ID)
	}
	if s.Pending() {
		if err := queueOne(ctx, tx, s, incident.ConfirmPayload, db.Now()); err != nil {
			return storeError("add subscriber %s: confirmation: %w", s.ID, err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return storeError("add subscriber %s: %w", s.ID, err)
	}
	return nil
}

// ConfirmSubscriber sets subscriber id's ConfirmedAt to at, unless it is
// set already.
//
// Errors: ENOTFOUND for an unknown id; EINVALID when at is zero or
// outside what UnixNano represents; EUNAVAILABLE when the server cannot
// be reached; EINTERNAL otherwise.
func (db *DB) ConfirmSubscriber(ctx context.Context, id string, at time.Time) error {
	n, err := rows.Nanos(at)
	if err != nil || n == nil {
		return headroom.Errorf(headroom.EINVALID, "confirm subscriber %s: time %v, want one between 1678 and 2262", id, at)
	}
	changed, err := db.changed(ctx, confirmSubscriber, n, id)
	if err != nil {
		return storeError("confirm subscriber %s: %w", id, err)
	}
	if changed == 0 {
		return headroom.Errorf(headroom.ENOTFOUND, "confirm subscriber %s: no such subscriber", id)
	}
	return nil
}

// queueOne inserts one delivery of payload to s, due at now.
func queueOne(ctx context.Context, tx pgx.Tx, s incident.Subscriber, payload []byte, now time.Time) error {
	at, err := rows.Nanos(now)
	if err == nil && at == nil {
		err = errors.New("zero time")
	}
	if err != nil {
		return fmt.Errorf("the clock: %w", err)
	}
	_, err = tx.Exec(ctx, insertDelivery, s.ID, string(rows.Channel(s.Channel)), s.URL, s.Email, s.Secret, payload, *at)
	return err
}

// Subscribers returns every subscriber, oldest first.
//
// Errors: EUNAVAILABLE when the server cannot be reached; EINTERNAL
// otherwise.
func (db *DB) Subscribers(ctx context.Context) ([]incident.Subscriber, error) {
	subs, err := subscribers(ctx, db.pool, selectSubscribers)
	if err != nil {
		return nil, storeError("read subscribers: %w", err)
	}
	return subs, nil
}

// subscribers reads the subscribers with query: selectSubscribers or
// lockSubscribers.
func subscribers(ctx context.Context, q querier, stmt string) ([]incident.Subscriber, error) {
	return query(ctx, q, rows.ScanSubscriber, stmt)
}

// SubscriberByToken returns the email subscriber whose Secret is token,
// found through the index of the tokens' SHA-256.
//
// Errors: ENOTFOUND when no email subscriber has token; EUNAVAILABLE when
// the server cannot be reached; EINTERNAL otherwise.
func (db *DB) SubscriberByToken(ctx context.Context, token string) (incident.Subscriber, error) {
	found, err := query(ctx, db.pool, rows.ScanSubscriber, selectByToken, rows.TokenHash(token), token)
	if err != nil {
		return incident.Subscriber{}, storeError("read the subscriber of a token: %w", err)
	}
	if len(found) == 0 || token == "" {
		return incident.Subscriber{}, headroom.Errorf(headroom.ENOTFOUND, "read the subscriber of a token: no such subscriber")
	}
	return found[0], nil
}

// RemoveSubscriber removes subscriber id and, in the same transaction, its
// queued deliveries: an unsubscribed receiver is not called again. A
// Commit queueing a delivery to id meanwhile holds a share lock on its
// row (lockSubscribers), so the DELETE waits for it and then removes what
// it queued too.
//
// Errors: ENOTFOUND for an unknown id; EUNAVAILABLE when the server
// cannot be reached; EINTERNAL otherwise.
func (db *DB) RemoveSubscriber(ctx context.Context, id string) error {
	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return storeError("remove subscriber %s: %w", id, err)
	}
	defer tx.Rollback(ctx)
	tag, err := tx.Exec(ctx, deleteSubscriber, id)
	if err != nil {
		return storeError("remove subscriber %s: %w", id, err)
	}
	if tag.RowsAffected() == 0 {
		return headroom.Errorf(headroom.ENOTFOUND, "remove subscriber %s: no such subscriber", id)
	}
	if _, err := tx.Exec(ctx, deleteQueued, id); err != nil {
		return storeError("remove subscriber %s: deliveries: %w", id, err)
	}
	if err := tx.Commit(ctx); err != nil {
		return storeError("remove subscriber %s: %w", id, err)
	}
	return nil
}

// DueDeliveries returns at most limit deliveries whose NextAt is at or
// before now, in the order they were queued.
//
// Errors: EINVALID when limit is below 1 or now is outside what UnixNano
// represents;
// EUNAVAILABLE when the server cannot be reached; EINTERNAL otherwise.
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
// Errors: EINVALID when perSubscriber is below 1; EUNAVAILABLE when the
// server cannot be reached; EINTERNAL otherwise.
func (db *DB) Queued(ctx context.Context, perSubscriber int) ([]incident.Delivery, error) {
	if perSubscriber < 1 {
		return nil, headroom.Errorf(headroom.EINVALID, "read queued deliveries: perSubscriber %d, expected at least 1", perSubscriber)
	}
	return db.deliveries(ctx, "read queued deliveries", selectQueued, perSubscriber)
}

// deliveries runs a query of deliveries' columns.
func (db *DB) deliveries(ctx context.Context, what, stmt string, args ...any) ([]incident.Delivery, error) {
	out, err := query(ctx, db.pool, rows.ScanDelivery, stmt, args...)
	if err != nil {
		return nil, storeError("%s: %w", what, err)
	}
	return out, nil
}

// Delivered removes delivery id; it does nothing when there is none (a
// sender that reports twice).
//
// Errors: EUNAVAILABLE when the server cannot be reached; EINTERNAL
// otherwise.
func (db *DB) Delivered(ctx context.Context, id int64) error {
	if _, err := db.pool.Exec(ctx, deleteDelivery, id); err != nil {
		return storeError("remove delivery %d: %w", id, err)
	}
	return nil
}

// Retry records a failed attempt of delivery id: one more attempt,
// lastError, and next as the time to try again. It does nothing when
// there is no such delivery (delivered meanwhile). A lastError that
// PostgreSQL cannot hold (NUL, invalid UTF-8: a server's response) is
// kept with U+FFFD in their place.
//
// Errors: EINVALID when next is zero or outside what UnixNano represents;
// EUNAVAILABLE when the server cannot be reached; EINTERNAL otherwise.
func (db *DB) Retry(ctx context.Context, id int64, next time.Time, lastError string) error {
	n, err := rows.Nanos(next)
	if err != nil || n == nil {
		return headroom.Errorf(headroom.EINVALID, "retry delivery %d: next %v, want a time between 1678 and 2262", id, next)
	}
	if _, err := db.pool.Exec(ctx, retryDelivery, n, storable(lastError), id); err != nil {
		return storeError("retry delivery %d: %w", id, err)
	}
	return nil
}
