package admin

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/headroomhq/headroom"
	"github.com/headroomhq/headroom/incident"
)

// TokenPrefix starts every admin token, so that one pasted into the wrong
// place (a log, a repository) is recognized as a headroom credential.
const TokenPrefix = "hr_"

// tokenBytes is how much randomness a token holds: 256 bits.
const tokenBytes = 32

// maxTokenName bounds a token's name: a label for people, not a document.
const maxTokenName = 100

// NewToken makes an admin token named name: secret is the text to give
// the user, once ("hr_" and 43 base64url characters); t is what the store
// keeps, with the secret's SHA-256 and never the secret itself.
//
// Errors: EINVALID for an empty or overlong name.
func NewToken(name string, now time.Time) (secret string, t incident.Token, err error) {
	name = strings.TrimSpace(name)
	if name == "" || len(name) > maxTokenName {
		return "", incident.Token{}, headroom.Errorf(headroom.EINVALID, "token name: got %q, expected 1 to %d characters saying who or what uses it (e.g. ci-deploy)", name, maxTokenName)
	}
	var b [tokenBytes]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", incident.Token{}, fmt.Errorf("new token: %w", err)
	}
	secret = TokenPrefix + base64.RawURLEncoding.EncodeToString(b[:])
	return secret, incident.Token{ID: incident.NewID(), Name: name, Hash: HashToken(secret), CreatedAt: now}, nil
}

// HashToken is what the store keeps of a token: its SHA-256. A token holds
// 256 random bits, so a fast hash is enough (no password stretching).
func HashToken(secret string) []byte {
	sum := sha256.Sum256([]byte(secret))
	return sum[:]
}

// Defaults of the token cache.
const (
	// DefaultTokenMaxAge is how long the admin API trusts its copy of the
	// tokens: a token revoked by `headroom token revoke` (another process)
	// is refused at most this long after.
	DefaultTokenMaxAge = 5 * time.Second
	// DefaultTokenMinRefresh is how often, at most, an unknown token makes
	// the admin API read the tokens again (one just created elsewhere):
	// bad tokens do not turn into store reads.
	DefaultTokenMinRefresh = time.Second
)

// tokens checks presented tokens against a cached copy of the store's.
type tokens struct {
	store incident.Store
	now   func() time.Time
	// maxAge and minRefresh: see DefaultTokenMaxAge and
	// DefaultTokenMinRefresh.
	maxAge, minRefresh time.Duration
	// compare is subtle.ConstantTimeCompare; a field so that a test can
	// count the comparisons.
	compare func(a, b []byte) int

	mu       sync.Mutex
	active   []incident.Token // not revoked
	loadedAt time.Time
	loaded   bool
}

func newTokens(store incident.Store, now func() time.Time) *tokens {
	return &tokens{store: store, now: now, maxAge: DefaultTokenMaxAge, minRefresh: DefaultTokenMinRefresh,
		compare: subtle.ConstantTimeCompare}
}

// check returns the active token whose secret is presented, or ok false.
//
// Errors: the store's, when the tokens cannot be read.
func (c *tokens) check(ctx context.Context, presented string) (t incident.Token, ok bool, err error) {
	sum := HashToken(presented)
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	if !c.loaded || now.Sub(c.loadedAt) >= c.maxAge || now.Before(c.loadedAt) {
		if err := c.load(ctx, now); err != nil {
			return incident.Token{}, false, err
		}
	}
	if t, ok := c.match(sum); ok {
		return t, true, nil
	}
	// Perhaps created since the last read: read again, at most once per
	// minRefresh whatever the number of bad tokens.
	if now.Sub(c.loadedAt) < c.minRefresh {
		return incident.Token{}, false, nil
	}
	if err := c.load(ctx, now); err != nil {
		return incident.Token{}, false, err
	}
	t, ok = c.match(sum)
	return t, ok, nil
}

// match compares sum with every active token's hash, in constant time and
// without stopping at a match, so that the time taken says nothing about
// which token, or which prefix of a hash, was close.
func (c *tokens) match(sum []byte) (incident.Token, bool) {
	found := -1
	for i, t := range c.active {
		if c.compare(sum, t.Hash) == 1 {
			found = i
		}
	}
	if found < 0 {
		return incident.Token{}, false
	}
	return c.active[found], true
}

func (c *tokens) load(ctx context.Context, now time.Time) error {
	all, err := c.store.Tokens(ctx)
	if err != nil {
		return fmt.Errorf("read admin tokens: %w", err)
	}
	active := make([]incident.Token, 0, len(all))
	for _, t := range all {
		if t.RevokedAt.IsZero() {
			active = append(active, t)
		}
	}
	c.active, c.loadedAt, c.loaded = active, now, true
	return nil
}

// bearer returns the token of an "Authorization: Bearer <token>" header.
func bearer(header string) (string, bool) {
	scheme, token, ok := strings.Cut(header, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.TrimSpace(token)
	return token, token != ""
}
