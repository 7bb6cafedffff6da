package memory

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/headroomhq/headroom"
	"github.com/headroomhq/headroom/incident"
)

// Incidents is an incident.Store in memory, for tests. It passes the contract the SQL stores pass
// (storetest.RunIncidents, whose doc settles what store.go leaves open:
// times in UTC to the nanosecond, Version raised by every Commit, the
// outbox in queue order, Delivered and Retry of a gone delivery doing
// nothing). Where the contract is silent too it does what a SQL table with
// a primary key would:
//
//   - Load returns components in the order they were first stored,
//     incidents newest first (CreatedAt, then the later stored first),
//     each incident's updates in the order the writer gave them (the
//     Service keeps them newest first), history oldest first (At, then
//     append order).
//   - Commit refuses (EINVALID, nothing stored) a component or incident
//     without an ID.
//   - CreateToken and AddSubscriber refuse an ID already taken (ECONFLICT).
//   - RevokeToken of a revoked token keeps the first revocation time.
//   - RemoveSubscriber drops the subscriber's queued deliveries.
//   - DueDeliveries refuses limit < 1 (EINVALID).
//
// Every value goes in and comes out as a copy: callers may keep and change
// what they passed or got.
type Incidents struct {
	// Now stamps queued deliveries (CreatedAt, NextAt); time.Now when nil.
	Now func() time.Time

	mu          sync.Mutex
	version     int64
	components  []incident.Component
	incidents   []storedIncident
	seq         int64 // insertion order of incidents
	history     []incident.StatusChange
	tokens      []incident.Token
	subscribers []incident.Subscriber
	deliveries  []incident.Delivery
	deliveryID  int64
}

type storedIncident struct {
	seq int64
	incident.Incident
}

var _ incident.Store = (*Incidents)(nil)

func (m *Incidents) now() time.Time {
	if m.Now != nil {
		return m.Now()
	}
	return time.Now()
}

// Load returns copies of everything, with history at or after since.
func (m *Incidents) Load(ctx context.Context, since time.Time) (*incident.Data, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	d := &incident.Data{Version: m.version}
	d.Components = slices.Clone(m.components)
	incs := slices.Clone(m.incidents)
	slices.SortStableFunc(incs, func(a, b storedIncident) int {
		if c := b.CreatedAt.Compare(a.CreatedAt); c != 0 {
			return c
		}
		return cmp.Compare(b.seq, a.seq)
	})
	for _, si := range incs {
		d.Incidents = append(d.Incidents, si.Clone())
	}
	for _, h := range m.history {
		if !h.At.Before(since) {
			d.History = append(d.History, h)
		}
	}
	slices.SortStableFunc(d.History, func(a, b incident.StatusChange) int { return a.At.Compare(b.At) })
	return d, nil
}

// Commit applies c atomically: it checks everything first, then stores.
// Errors: ECONFLICT when c.Incident's Version is not the stored one plus
// one (1 for a new incident); EINVALID for a missing ID or a history entry
// of an unknown component.
func (m *Incidents) Commit(ctx context.Context, c *incident.Change) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()

	// Check first: a refused change stores nothing.
	for i, comp := range c.Components {
		if comp.ID == "" {
			return headroom.Errorf(headroom.EINVALID, "components[%d].id: empty; expected the component's ID", i)
		}
	}
	at := -1
	if c.Incident != nil {
		if c.Incident.ID == "" {
			return headroom.Errorf(headroom.EINVALID, "incident.id: empty; expected the incident's ID")
		}
		var stored int64
		for i := range m.incidents {
			if m.incidents[i].ID == c.Incident.ID {
				at, stored = i, m.incidents[i].Version
				break
			}
		}
		if c.Incident.Version != stored+1 {
			return &headroom.Error{Code: headroom.ECONFLICT, Message: conflictMessage(c.Incident.ID, c.Incident.Version, stored)}
		}
	}

	// Store.
	now := m.now().UTC()
	for _, comp := range c.Components {
		comp.CreatedAt, comp.UpdatedAt = comp.CreatedAt.UTC(), comp.UpdatedAt.UTC()
		if i := slices.IndexFunc(m.components, func(x incident.Component) bool { return x.ID == comp.ID }); i >= 0 {
			m.components[i] = comp
		} else {
			m.components = append(m.components, comp)
		}
	}
	for _, h := range c.History {
		h.At = h.At.UTC()
		m.history = append(m.history, h)
	}
	if c.Incident != nil {
		inc := c.Incident.Clone().UTC()
		if at >= 0 {
			m.incidents[at].Incident = inc
		} else {
			m.seq++
			m.incidents = append(m.incidents, storedIncident{seq: m.seq, Incident: inc})
		}
	}
	if c.Notify != nil {
		for _, s := range m.subscribers {
			if !s.Concerns(c.Notify.ComponentIDs) {
				continue
			}
			m.queue(s, c.Notify.Payload, now)
		}
	}
	m.version++
	return nil
}

// conflictMessage says which write lost, for the log of the one that
// retries.
func conflictMessage(id string, got, stored int64) string {
	if stored == 0 {
		return fmt.Sprintf("incident %q: version %d written, but no such incident is stored; expected version 1 for a new incident", id, got)
	}
	return fmt.Sprintf("incident %q: version %d written over stored version %d; another process wrote it meanwhile: read it again", id, got, stored)
}

// Version returns the number of commits so far.
func (m *Incidents) Version(ctx context.Context) (int64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.version, nil
}

// CreateToken stores t. Errors: ECONFLICT when its ID is taken, EINVALID
// when it has none.
func (m *Incidents) CreateToken(ctx context.Context, t incident.Token) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if t.ID == "" {
		return headroom.Errorf(headroom.EINVALID, "token.id: empty; expected the token's ID")
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if slices.ContainsFunc(m.tokens, func(x incident.Token) bool { return x.ID == t.ID }) {
		return headroom.Errorf(headroom.ECONFLICT, "token %q: already exists", t.ID)
	}
	t.Hash = slices.Clone(t.Hash)
	t.CreatedAt, t.RevokedAt = t.CreatedAt.UTC(), t.RevokedAt.UTC()
	m.tokens = append(m.tokens, t)
	return nil
}

// Tokens returns every token, revoked too, oldest first.
func (m *Incidents) Tokens(ctx context.Context) ([]incident.Token, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]incident.Token, len(m.tokens))
	for i, t := range m.tokens {
		t.Hash = slices.Clone(t.Hash)
		out[i] = t
	}
	slices.SortStableFunc(out, func(a, b incident.Token) int { return a.CreatedAt.Compare(b.CreatedAt) })
	return out, nil
}

// RevokeToken marks the token revoked at at; a token already revoked keeps
// its first revocation time. Errors: ENOTFOUND.
func (m *Incidents) RevokeToken(ctx context.Context, id string, at time.Time) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	i := slices.IndexFunc(m.tokens, func(x incident.Token) bool { return x.ID == id })
	if i < 0 {
		return headroom.Errorf(headroom.ENOTFOUND, "token %q: not found", id)
	}
	if m.tokens[i].RevokedAt.IsZero() {
		m.tokens[i].RevokedAt = at.UTC()
	}
	return nil
}

// AddSubscriber stores s; a Pending s gets one delivery of
// incident.ConfirmPayload. Errors: ECONFLICT when its ID is taken,
// EINVALID when it has none.
func (m *Incidents) AddSubscriber(ctx context.Context, s incident.Subscriber) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if s.ID == "" {
		return headroom.Errorf(headroom.EINVALID, "subscriber.id: empty; expected the subscriber's ID")
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if slices.ContainsFunc(m.subscribers, func(x incident.Subscriber) bool { return x.ID == s.ID }) {
		return headroom.Errorf(headroom.ECONFLICT, "subscriber %q: already exists", s.ID)
	}
	s.ComponentIDs = slices.Clone(s.ComponentIDs)
	s.CreatedAt, s.ConfirmedAt = s.CreatedAt.UTC(), s.ConfirmedAt.UTC()
	s.Channel = channel(s.Channel)
	m.subscribers = append(m.subscribers, s)
	if s.Pending() {
		m.queue(s, incident.ConfirmPayload, m.now().UTC())
	}
	return nil
}

// ConfirmSubscriber sets the subscriber's ConfirmedAt to at unless it is
// set already. Errors: ENOTFOUND, EINVALID for a zero at.
func (m *Incidents) ConfirmSubscriber(ctx context.Context, id string, at time.Time) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if at.IsZero() {
		return headroom.Errorf(headroom.EINVALID, "confirm subscriber %q: zero time; expected when it was confirmed", id)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	i := slices.IndexFunc(m.subscribers, func(x incident.Subscriber) bool { return x.ID == id })
	if i < 0 {
		return headroom.Errorf(headroom.ENOTFOUND, "subscriber %q: not found", id)
	}
	if m.subscribers[i].ConfirmedAt.IsZero() {
		m.subscribers[i].ConfirmedAt = at.UTC()
	}
	return nil
}

// channel is c, or incident.ChannelWebhook for "", as the databases
// store it.
func channel(c incident.Channel) incident.Channel {
	if c == "" {
		return incident.ChannelWebhook
	}
	return c
}

// queue appends one delivery of payload to s, due at now; m.mu is held.
func (m *Incidents) queue(s incident.Subscriber, payload []byte, now time.Time) {
	m.deliveryID++
	m.deliveries = append(m.deliveries, incident.Delivery{
		ID:           m.deliveryID,
		SubscriberID: s.ID,
		Channel:      s.Channel,
		URL:          s.URL,
		Email:        s.Email,
		Secret:       s.Secret,
		Payload:      slices.Clone(payload),
		NextAt:       now,
		CreatedAt:    now,
	})
}

// Subscribers returns every subscriber, oldest first.
func (m *Incidents) Subscribers(ctx context.Context) ([]incident.Subscriber, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]incident.Subscriber, len(m.subscribers))
	for i, s := range m.subscribers {
		s.ComponentIDs = slices.Clone(s.ComponentIDs)
		out[i] = s
	}
	slices.SortStableFunc(out, func(a, b incident.Subscriber) int { return a.CreatedAt.Compare(b.CreatedAt) })
	return out, nil
}

// SubscriberByToken returns the email subscriber whose Secret is token.
// A test double: it looks through every subscriber, where the databases
// use an index. Errors: ENOTFOUND.
func (m *Incidents) SubscriberByToken(ctx context.Context, token string) (incident.Subscriber, error) {
	if err := ctx.Err(); err != nil {
		return incident.Subscriber{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, s := range m.subscribers {
		if s.Channel == incident.ChannelEmail && token != "" && s.Secret == token {
			s.ComponentIDs = slices.Clone(s.ComponentIDs)
			return s, nil
		}
	}
	return incident.Subscriber{}, headroom.Errorf(headroom.ENOTFOUND, "subscriber of the token: not found")
}

// RemoveSubscriber removes the subscriber and its queued deliveries.
// Errors: ENOTFOUND.
func (m *Incidents) RemoveSubscriber(ctx context.Context, id string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	i := slices.IndexFunc(m.subscribers, func(x incident.Subscriber) bool { return x.ID == id })
	if i < 0 {
		return headroom.Errorf(headroom.ENOTFOUND, "subscriber %q: not found", id)
	}
	m.subscribers = slices.Delete(m.subscribers, i, i+1)
	m.deliveries = slices.DeleteFunc(m.deliveries, func(d incident.Delivery) bool { return d.SubscriberID == id })
	return nil
}

// DueDeliveries returns at most limit deliveries whose NextAt is at or
// before now, oldest first. Errors: EINVALID for limit < 1.
func (m *Incidents) DueDeliveries(ctx context.Context, now time.Time, limit int) ([]incident.Delivery, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if limit < 1 {
		return nil, headroom.Errorf(headroom.EINVALID, "limit: %d; expected at least 1", limit)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []incident.Delivery
	for _, d := range m.deliveries { // kept in ID order
		if d.NextAt.After(now) {
			continue
		}
		d.Payload = slices.Clone(d.Payload)
		out = append(out, d)
		if len(out) == limit {
			break
		}
	}
	return out, nil
}

// Queued returns each subscriber's oldest perSubscriber deliveries, in ID
// order.
func (m *Incidents) Queued(ctx context.Context, perSubscriber int) ([]incident.Delivery, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if perSubscriber < 1 {
		return nil, headroom.Errorf(headroom.EINVALID, "perSubscriber: %d; expected at least 1", perSubscriber)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []incident.Delivery
	seen := map[string]int{}
	for _, d := range m.deliveries { // kept in ID order
		if seen[d.SubscriberID] == perSubscriber {
			continue
		}
		seen[d.SubscriberID]++
		d.Payload = slices.Clone(d.Payload)
		out = append(out, d)
	}
	return out, nil
}

// Delivered removes a delivery; of one already removed (another worker
// delivered it) it does nothing.
func (m *Incidents) Delivered(ctx context.Context, id int64) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.deliveries = slices.DeleteFunc(m.deliveries, func(d incident.Delivery) bool { return d.ID == id })
	return nil
}

// Retry counts a failed attempt and sets when to try again; of a delivery
// already removed it does nothing.
func (m *Incidents) Retry(ctx context.Context, id int64, next time.Time, lastError string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if i := slices.IndexFunc(m.deliveries, func(d incident.Delivery) bool { return d.ID == id }); i >= 0 {
		m.deliveries[i].Attempts++
		m.deliveries[i].NextAt = next.UTC()
		m.deliveries[i].LastError = lastError
	}
	return nil
}
