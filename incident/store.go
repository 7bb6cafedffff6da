package incident

import (
	"context"
	"time"
)

// Data is what the store holds for the page: every component with its
// status, every incident and maintenance with its updates (newest first),
// drafts too (BuildSnapshot keeps them off the public side), and the
// components' status history since the time Load was asked for.
type Data struct {
	Components []Component
	Incidents  []Incident
	History    []StatusChange
	// Version is the store's write counter (see Store.Version).
	Version int64
}

// Notification is what a write tells subscribers: Payload (Statuspage's
// webhook JSON) goes to every subscriber Concerned by ComponentIDs.
type Notification struct {
	ComponentIDs []string
	Payload      []byte
}

// Change is one write, applied atomically: either all of it is stored,
// with its deliveries queued, or nothing is.
type Change struct {
	// Components are stored (inserted or replaced) with their status.
	Components []Component
	// History is appended.
	History []StatusChange
	// Incident, when set, is stored whole (fields and updates). Its
	// Version must be the stored version plus one, or 1 for a new
	// incident; otherwise Commit fails with ECONFLICT and stores nothing.
	Incident *Incident
	// Replaces, when set, is Incident as stored at the version before
	// Incident's, which the write was built on: a store may then write
	// only what changed of its updates (a lasting incident's hundred
	// updates were all written again at each new one). A store that
	// ignores it, or finds it is not that version, writes them all.
	Replaces *Incident
	// Notify, when set, queues one Delivery per subscriber it concerns,
	// in the same transaction, so a crash never loses a notification of a
	// write that was acknowledged.
	Notify *Notification
}

// Store keeps the status page. Implementations: store/sqlite,
// store/postgres; store/memory for tests. Errors: EINTERNAL when the store
// fails, EUNAVAILABLE when its server cannot be reached; the others are
// named per method.
type Store interface {
	// Load returns the data, with history at or after since.
	Load(ctx context.Context, since time.Time) (*Data, error)
	// Commit applies c. Errors: ECONFLICT (see Change.Incident).
	Commit(ctx context.Context, c *Change) error
	// Version is a counter every Commit raises: a replica that sees it
	// move reloads (another process wrote).
	Version(ctx context.Context) (int64, error)

	// CreateToken stores t; Tokens lists them all, revoked too (they are
	// few: the admin API caches them); RevokeToken marks one revoked at
	// at. Errors: ENOTFOUND for an unknown id.
	CreateToken(ctx context.Context, t Token) error
	Tokens(ctx context.Context) ([]Token, error)
	RevokeToken(ctx context.Context, id string, at time.Time) error

	// AddSubscriber, Subscribers and RemoveSubscriber manage
	// subscriptions. AddSubscriber of a Pending subscriber queues, in the
	// same transaction, one delivery of ConfirmPayload to it (its
	// confirmation mail). ConfirmSubscriber sets a pending subscriber's
	// ConfirmedAt (a confirmed one keeps its first). Errors: ENOTFOUND
	// for an unknown id.
	AddSubscriber(ctx context.Context, s Subscriber) error
	Subscribers(ctx context.Context) ([]Subscriber, error)
	RemoveSubscriber(ctx context.Context, id string) error
	ConfirmSubscriber(ctx context.Context, id string, at time.Time) error
	// SubscriberByToken returns the email subscriber whose Secret is
	// token (the token of its confirm and unsubscribe links), found
	// through an index of the tokens' SHA-256, not by reading every
	// subscriber. Other channels' secrets are no tokens. Errors:
	// ENOTFOUND when no email subscriber has token.
	SubscriberByToken(ctx context.Context, token string) (Subscriber, error)

	// DueDeliveries returns at most limit queued deliveries whose NextAt
	// is at or before now, oldest first. Delivered removes one; Retry
	// records a failed attempt and when to try again.
	DueDeliveries(ctx context.Context, now time.Time, limit int) ([]Delivery, error)
	// Queued returns each subscriber's oldest perSubscriber queued
	// deliveries, due or not, in the order they were queued: what a
	// worker delivering in order per subscriber needs, without one
	// receiver's backlog hiding everyone else's. Errors: EINVALID for
	// perSubscriber below 1.
	Queued(ctx context.Context, perSubscriber int) ([]Delivery, error)
	Delivered(ctx context.Context, id int64) error
	Retry(ctx context.Context, id int64, next time.Time, lastError string) error
}
