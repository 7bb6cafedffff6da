package rows

import (
	"fmt"

	"github.com/headroomhq/headroom/incident"
)

// TokenColumns lists the tokens columns, in the order of TokenValues and
// ScanToken.
const TokenColumns = `id, name, hash, created_at, revoked_at`

// TokenValues returns t's values for an INSERT.
//
// It fails for a time UnixNano cannot represent, naming its field.
func TokenValues(t incident.Token) ([]any, error) {
	var e Times
	created, revoked := e.At("CreatedAt", t.CreatedAt), e.At("RevokedAt", t.RevokedAt)
	if e.Err != nil {
		return nil, e.Err
	}
	hash := t.Hash
	if hash == nil {
		hash = []byte{} // NOT NULL
	}
	return []any{t.ID, t.Name, hash, created, revoked}, nil
}

// ScanToken scans one row of TokenColumns.
func ScanToken(s Scanner) (incident.Token, error) {
	var t incident.Token
	var created, revoked *int64
	if err := s.Scan(&t.ID, &t.Name, &t.Hash, &created, &revoked); err != nil {
		return incident.Token{}, err
	}
	t.CreatedAt, t.RevokedAt = Time(created), Time(revoked)
	return t, nil
}

// SubscriberColumns lists the subscribers columns, in the order of
// SubscriberValues and ScanSubscriber; component_ids is a JSON array, read
// as text.
const SubscriberColumns = `id, url, component_ids, secret, created_at`

// SubscriberValues returns s's values for an INSERT.
//
// It fails for a time UnixNano cannot represent, naming its field (JSON
// encodes any component IDs).
func SubscriberValues(s incident.Subscriber) ([]any, error) {
	created, err := Nanos(s.CreatedAt)
	if err != nil {
		return nil, fmt.Errorf("CreatedAt: %w", err)
	}
	ids, err := EncodeIDs(s.ComponentIDs)
	if err != nil {
		return nil, fmt.Errorf("component IDs: %w", err)
	}
	return []any{s.ID, s.URL, ids, s.Secret, created}, nil
}

// ScanSubscriber scans one row of SubscriberColumns.
func ScanSubscriber(s Scanner) (incident.Subscriber, error) {
	var sub incident.Subscriber
	var ids string
	var created *int64
	if err := s.Scan(&sub.ID, &sub.URL, &ids, &sub.Secret, &created); err != nil {
		return incident.Subscriber{}, err
	}
	var err error
	if sub.ComponentIDs, err = DecodeIDs(ids); err != nil {
		return incident.Subscriber{}, fmt.Errorf("subscriber %s: component_ids: %w", sub.ID, err)
	}
	sub.CreatedAt = Time(created)
	return sub, nil
}

// DeliveryColumns lists the deliveries columns ScanDelivery reads.
const DeliveryColumns = `id, subscriber_id, url, secret, payload, attempts, next_at, last_error, created_at`

// ScanDelivery scans one row of DeliveryColumns.
func ScanDelivery(s Scanner) (incident.Delivery, error) {
	var d incident.Delivery
	var next, created *int64
	if err := s.Scan(&d.ID, &d.SubscriberID, &d.URL, &d.Secret, &d.Payload, &d.Attempts, &next, &d.LastError, &created); err != nil {
		return incident.Delivery{}, err
	}
	d.NextAt, d.CreatedAt = Time(next), Time(created)
	return d, nil
}
