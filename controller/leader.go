package controller

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/headroomhq/headroom"
)

// DefaultLeaseName is the one lease the serve processes sharing a store
// take turns on: one leader acts on every target, the others serve reads.
const DefaultLeaseName = "controller"

// Leader makes a controller act only while it holds a lease in the store,
// so several `headroom serve` processes can share one PostgreSQL: one acts,
// and when it dies another takes over within TTL plus one loop.
type Leader struct {
	Leases headroom.Leases
	// Name of the lease (DefaultLeaseName) and Holder, this process's
	// identity (host, pid, a random part).
	Name, Holder string
	// TTL is how long a lease lasts unrenewed; it is renewed every loop,
	// so it must be longer than the loop interval (serve uses 3 loops).
	TTL time.Duration
	// Now is the clock the turn is measured on; time.Now (from NewLeader,
	// or when nil), whose readings carry the monotonic clock, so a wall
	// clock jump neither ends a turn early nor lets one outlast the lease.
	// A test or a simulation injects a virtual clock; the store's lease
	// clock must then move with it.
	Now func() time.Time

	mu sync.Mutex
	// until is when this process must stop acting, on Now's (monotonic)
	// clock: the acquisition's start plus 90% of TTL, so a slow answer and
	// a little clock drift between this process and the store still end
	// the old leader's turn before the store hands the lease on. Wall
	// clock jumps do not move it.
	until time.Time
	token int64
	// quiet logs the lease's changes at debug level: a shard's, which
	// Shards sums up in one line.
	quiet bool
}

// releaseTimeout bounds giving the lease up on shutdown.
const releaseTimeout = 5 * time.Second

// NewLeader returns a Leader on leases for holder (this process's
// identity) with the default lease name and the monotonic clock.
func NewLeader(leases headroom.Leases, holder string, ttl time.Duration) *Leader {
	return &Leader{Leases: leases, Name: DefaultLeaseName, Holder: holder, TTL: ttl, Now: time.Now}
}

func (l *Leader) now() time.Time {
	if l.Now == nil {
		return time.Now()
	}
	return l.Now()
}

// lead takes or renews the lease; it reports whether this process may act
// this loop.
func (l *Leader) lead(ctx context.Context, log *slog.Logger) bool {
	start := l.now()
	lease, ok, err := l.Leases.Acquire(ctx, l.Name, l.Holder, l.TTL)
	l.mu.Lock()
	defer l.mu.Unlock()
	was := l.token != 0
	switch {
	case err != nil:
		l.until, l.token = time.Time{}, 0
		log.Error("lease: the store did not answer; not acting", "lease", l.Name, "err", err)
	case !ok:
		l.until, l.token = time.Time{}, 0
		if was {
			log.Log(ctx, l.level(slog.LevelWarn), "lease lost", "lease", l.Name, "holder", lease.Holder, "token", lease.Token)
		}
	default:
		l.until = start.Add(l.TTL * 9 / 10)
		if !was || l.token != lease.Token {
			log.Log(ctx, l.level(slog.LevelInfo), "lease acquired: acting on the targets", "lease", l.Name, "holder", l.Holder, "token", lease.Token)
		}
		l.token = lease.Token
	}
	return l.token != 0
}

// level is the level of a message about the lease: debug when quiet.
func (l *Leader) level(normal slog.Level) slog.Level {
	if l.quiet {
		return slog.LevelDebug
	}
	return normal
}

// holds says whether this process still holds the lease: checked again
// right before an actuation, since a loop can outlast the lease.
func (l *Leader) holds() bool {
	if l == nil {
		return true
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.token != 0 && l.now().Before(l.until)
}

// bound limits an actuation to the lease: a call still running when this
// process must stop acting is cancelled, so an old leader's write cannot
// land after another process took over (unless the platform took it
// already). Without a Leader, ctx as it is.
func (l *Leader) bound(ctx context.Context) (context.Context, context.CancelFunc) {
	if l == nil {
		return context.WithCancel(ctx)
	}
	l.mu.Lock()
	until := l.until
	l.mu.Unlock()
	// A timeout, not a deadline: until is on Now's clock, which need not
	// be the one context deadlines run on. With time.Now both readings
	// are monotonic, so the difference is too.
	return context.WithTimeout(ctx, until.Sub(l.now()))
}

// held reports whether the last acquisition or renewal succeeded, whatever
// this process's clock says of it now.
func (l *Leader) held() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.token != 0
}

// drop ends this process's turn without asking the store (which did not
// answer): it acts no more until it acquires the lease again.
func (l *Leader) drop() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.until, l.token = time.Time{}, 0
}

// Token is the fencing token of the lease this process holds, 0 when it
// holds none.
func (l *Leader) Token() int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.now().Before(l.until) {
		return 0
	}
	return l.token
}

// fence is what this process's journal writes are checked against: the
// token it last acquired, whether or not its own clock still lets it act
// (the store decides, which is the point of a fence). Without a Leader,
// the zero Fence, which checks nothing.
func (l *Leader) fence() headroom.Fence {
	if l == nil {
		return headroom.Fence{}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return headroom.Fence{Lease: l.Name, Token: l.token}
}

// confirm asks the store, right before a change on the platform that no
// journal write fences (a floor in guard mode, or its release), whether
// this process still holds the lease under the token it acquired. Its own
// clock is not enough: a process paused past its lease whose clock says it
// still holds it must not touch the platform once another took the lease
// over. Enforce mode needs no confirmation: its intent, written before the
// actuation, is fenced. Without a Leader, nil.
//
// Errors: ECONFLICT wrapping headroom.ErrFenced when another process holds
// the lease, or the store let it expire; the store's own (EUNAVAILABLE,
// EINTERNAL) when it cannot say: the platform is not touched either.
func (l *Leader) confirm(ctx context.Context) error {
	if l == nil {
		return nil
	}
	f := l.fence()
	leases, err := l.Leases.List(ctx, l.Name)
	if err != nil {
		return fmt.Errorf("confirm lease %s: %w", l.Name, err)
	}
	now := "expired"
	for _, x := range leases {
		if x.Name != l.Name {
			continue // another shard whose name begins with this one's
		}
		if x.Holder == l.Holder && x.Token == f.Token {
			return nil
		}
		now = fmt.Sprintf("held by %s at token %d", x.Holder, x.Token)
	}
	return &headroom.Error{Code: headroom.ECONFLICT,
		Message: fmt.Sprintf("lease %q is %s, this process held token %d", l.Name, now, f.Token),
		Err:     headroom.ErrFenced}
}

// release gives the lease up on shutdown so another process takes over at
// once. ctx may have ended already: the release gets releaseTimeout
// of its own, keeping ctx's values.
func (l *Leader) release(ctx context.Context, log *slog.Logger) {
	l.mu.Lock()
	held := l.token != 0
	l.until, l.token = time.Time{}, 0
	l.mu.Unlock()
	if !held {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), releaseTimeout)
	defer cancel()
	if err := l.Leases.Release(ctx, l.Name, l.Holder); err != nil {
		log.Warn("lease: release failed; another process takes over when it expires", "lease", l.Name, "err", err)
	}
}
