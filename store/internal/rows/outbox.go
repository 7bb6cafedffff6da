package rows

import (
	"crypto/sha256"
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
const SubscriberColumns = `id, channel, url, email, component_ids, secret, created_at, confirmed_at`

// SubscriberValues returns s's values for an INSERT; an empty Channel is
// stored as incident.ChannelWebhook.
//
// It fails for a time UnixNano cannot represent, naming its field (JSON
// encodes any component IDs).
func SubscriberValues(s incident.Subscriber) ([]any, error) {
	var e Times
	created, confirmed := e.At("CreatedAt", s.CreatedAt), e.At("ConfirmedAt", s.ConfirmedAt)
	if e.Err != nil {
		return nil, e.Err
	}
	ids, err := EncodeIDs(s.ComponentIDs)
	if err != nil {
		return nil, fmt.Errorf("component IDs: %w", err)
	}
	return []any{s.ID, string(Channel(s.Channel)), s.URL, s.Email, ids, s.Secret, created, confirmed}, nil
}

// TokenHash is the SHA-256 of an email subscriber's token, its Secret: the
// key of the subscribers_secret_sha256 index, through which the confirm
// and unsubscribe links find their subscriber. A hash rather than the
// token, so that the index's comparisons, whose time depends on how long
// a prefix matches, tell nothing of how near a guessed token came.
func TokenHash(token string) []byte {
	sum := sha256.Sum256([]byte(token))
	return sum[:]
}

// Channel is c, or incident.ChannelWebhook for "".
func Channel(c incident.Channel) incident.Channel {
	if c == "" {
		return incident.ChannelWebhook
	}
	return c
}

// ScanSubscriber scans one row of SubscriberColumns.
func ScanSubscriber(s Scanner) (incident.Subscriber, error) {
	var sub incident.Subscriber
	var ids, channel string
	var created, confirmed *int64
	if err := s.Scan(&sub.ID, &channel, &sub.URL, &sub.Email, &ids, &sub.Secret, &created, &confirmed); err != nil {
		return incident.Subscriber{}, err
	}
	var err error
	if sub.ComponentIDs, err = DecodeIDs(ids); err != nil {
		return incident.Subscriber{}, fmt.Errorf("subscriber %s: component_ids: %w", sub.ID, err)
	}
	sub.Channel = incident.Channel(channel)
	sub.CreatedAt, sub.ConfirmedAt = Time(created), Time(confirmed)
	return sub, nil
}

// DeliveryColumns lists the deliveries columns ScanDelivery reads.
const DeliveryColumns = `id, subscriber_id, channel, url, email, secret, payload, attempts, next_at, last_error, created_at`

// ScanDelivery scans one row of DeliveryColumns.
func ScanDelivery(s Scanner) (incident.Delivery, error) {
	var d incident.Delivery
	var channel string
	var next, created *int64
	if err := s.Scan(&d.ID, &d.SubscriberID, &channel, &d.URL, &d.Email, &d.Secret, &d.Payload, &d.Attempts, &next, &d.LastError, &created); err != nil {
		return incident.Delivery{}, err
	}
	d.Channel = incident.Channel(channel)
	d.NextAt, d.CreatedAt = Time(next), Time(created)
	return d, nil
}
