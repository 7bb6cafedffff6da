package controller

import (
	"cmp"
	"context"
	"fmt"
	"hash/fnv"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/headroomhq/headroom"
)

// Lease names of sharding: one lease per shard, and one per replica that
// announces it is alive (its heartbeat). A serve --once announces itself
// under the members' prefix too, with a name of its own kind (visitorMark
// before its holder): the replicas check its shard count, a serve without
// shards sees it, and the balance does not count it.
const (
	shardPrefix  = "shard/"
	memberPrefix = "member/"
	visitorMark  = "once/"
)

// Shards lets several `headroom serve` processes sharing a store act at the
// same time, each on part of the targets: a target belongs to one of Count
// shards by a stable hash of its name (ShardOf), each shard is a lease in
// the store ("shard/<n>") with its own fencing token, and every journal
// write of a target is fenced by its shard's lease, so a target never has
// two owners that both write.
//
// Each loop a replica renews its heartbeat lease ("member/<holder>") and
// its shards, counts the live replicas, and aims at its share,
// ceil(Count/replicas): it takes free or expired shards while it holds
// fewer (only up to floor(Count/replicas) while another replica holds
// less than that), comes down to floor(Count/replicas) while other replicas hold
// fewer than that and the free shards cannot make it up, and to the ceiling
// while another replica holds less — so a joining replica gets its share
// within a loop or two, and no shard moves once every replica holds the
// floor or the ceiling (no flapping). A killed replica's shards and heartbeat expire after TTL; the
// others take its shards at their next loop.
type Shards struct {
	Leases headroom.Leases
	// Holder is this process's identity in the leases.
	Holder string
	// Count is the number of shards; every replica must use the same.
	Count int
	// TTL is how long a lease lasts unrenewed: longer than the loop
	// interval, which renews it.
	TTL time.Duration
	// Now is the clock the shards' turns are measured on; time.Now when
	// nil (see Leader.Now).
	Now func() time.Time

	once   sync.Once
	shards []*Leader
	// logged is the set of shards last logged as held.
	logged string
	// visiting says this process announced itself as a visitor (visit),
	// not as a replica.
	visiting bool
}

// DefaultShards is the shard count serve uses when sharding is on and the
// config sets none: enough that 16 replicas still share them within 7%,
// few enough that renewing a replica's shards costs little each loop.
const DefaultShards = 64

// NewShards returns count shards on leases for holder.
func NewShards(leases headroom.Leases, holder string, count int, ttl time.Duration) *Shards {
	return &Shards{Leases: leases, Holder: holder, Count: count, TTL: ttl, Now: time.Now}
}

// ShardOf returns the shard of the target named name among count shards:
// FNV-1a of the name, so every replica, whatever its version or the order
// of its config, maps a target to the same shard.
func ShardOf(name string, count int) int {
	h := fnv.New64a()
	h.Write([]byte(name))
	return int(h.Sum64() % uint64(count))
}

// shard returns shard n's lease, made on first use (Held may be called
// from another goroutine than the loop's).
func (s *Shards) shard(n int) *Leader {
	s.once.Do(func() {
		s.shards = make([]*Leader, s.Count)
		for i := range s.shards {
			s.shards[i] = &Leader{Leases: s.Leases, Name: fmt.Sprintf("%s%d", shardPrefix, i), Holder: s.Holder, TTL: s.TTL, Now: s.Now, quiet: true}
		}
	})
	return s.shards[n]
}

// leaderOf returns the lease of the shard target name belongs to.
func (s *Shards) leaderOf(name string) *Leader { return s.shard(ShardOf(name, s.Count)) }

// Held returns the shards this process holds, in order.
func (s *Shards) Held() []int {
	var held []int
	for n := range s.Count {
		if s.shard(n).holds() {
			held = append(held, n)
		}
	}
	return held
}

// heldLeaders returns the leases of the shards this process holds now.
func (s *Shards) heldLeaders() map[*Leader]bool {
	held := map[*Leader]bool{}
	for _, n := range s.Held() {
		held[s.shard(n)] = true
	}
	return held
}

// balance is a loop's turn on the leases: the heartbeat, the renewals, and
// the shards released or taken towards this replica's share. It returns
// how many shards this process holds now and whether it lost or gave up
// one it held. When the store does not answer, it holds none.
func (s *Shards) balance(ctx context.Context, log *slog.Logger) (held int, lost bool) {
	if s.Count < 1 {
		return 0, false
	}
	drop := func(err error) (int, bool) {
		log.Error("shards: the store did not answer; not acting", "err", err)
		for n := range s.Count {
			if l := s.shard(n); l.held() {
				l.drop()
				lost = true
			}
		}
		return 0, lost
	}
	if err := s.announce(ctx); err != nil {
		return drop(err)
	}
	members, err := s.Leases.List(ctx, memberPrefix)
	if err != nil {
		return drop(err)
	}
	why, err := s.disagreement(ctx, members)
	if err != nil {
		return drop(err)
	}
	if why != "" {
		// Two owners are possible while replicas map targets
		// differently: none acts until they agree.
		log.Error("shards: not acting: "+why, "holder", s.Holder, "shards", s.Count)
		for n := range s.Count {
			if l := s.shard(n); l.held() {
				l.release(ctx, log)
				lost = true
			}
		}
		s.logHeld(nil, len(members), log)
		return 0, lost
	}
	leases, err := s.Leases.List(ctx, shardPrefix)
	if err != nil {
		return drop(err)
	}
	holderOf := map[string]string{}
	counts := map[string]int{}
	for _, l := range leases {
		holderOf[l.Name] = l.Holder
		counts[l.Holder]++
	}
	// A visitor (serve --once) takes only free shards: nobody makes room
	// for it.
	members = s.replicas(members)
	replicas := max(len(members), 1)
	share := (s.Count + replicas - 1) / replicas
	floor := s.Count / replicas

	// Renew what this process holds, or thinks it holds: a lease lost
	// meanwhile (a pause longer than the TTL) is refused and dropped.
	var mine, free []int
	for n := range s.Count {
		l := s.shard(n)
		switch h, taken := holderOf[l.Name]; {
		case h == s.Holder || l.held():
			had := l.held()
			if l.lead(ctx, log) {
				mine = append(mine, n)
			} else if had {
				lost = true
			}
		case !taken:
			free = append(free, n)
		}
	}
	counts[s.Holder] = len(mine)

	// Other replicas below the floor, more than the free shards can make
	// up for (one joined): come down to the floor, so that they take what
	// this one gives up at their next loop. Above the ceiling while
	// another replica is below it: come down to the ceiling. Nothing
	// moves once every replica holds the floor or the ceiling.
	deficit, belowShare, othersBelowFloor := 0, false, false
	for _, m := range members {
		deficit += max(floor-counts[m.Holder], 0)
		belowShare = belowShare || counts[m.Holder] < share
		othersBelowFloor = othersBelowFloor || (m.Holder != s.Holder && counts[m.Holder] < floor)
	}
	extra := 0
	switch {
	case deficit > len(free):
		extra = len(mine) - floor
	case belowShare:
		extra = len(mine) - share
	}
	if extra > 0 {
		for _, n := range mine[len(mine)-extra:] {
			s.shard(n).release(ctx, log)
		}
		mine, lost = mine[:len(mine)-extra], true
	}

	// Below the share: take free shards, in an order of this holder's
	// own, so that replicas starting together try different ones first.
	// While another replica is below the floor, only up to the floor: the
	// shards given up for it are its, not those of a replica at the floor
	// that balances first (which would give them up again next loop).
	want := share
	if othersBelowFloor {
		want = floor
	}
	slices.SortFunc(free, func(a, b int) int { return cmp.Compare(s.rank(a), s.rank(b)) })
	for _, n := range free {
		if len(mine) >= want {
			break
		}
		if s.shard(n).lead(ctx, log) {
			mine = append(mine, n)
		}
	}
	s.logHeld(mine, len(members), log)
	return len(mine), lost
}

// visit is serve --once's turn on the leases: it acts on the targets of the
// free shards (every shard when no replica runs) without joining the
// replicas, so that running it moves no shard. Its heartbeat is a
// visitor's (visitorName): the replicas do not count it in their balance
// and give no shard up for it, while it still tells them its shard count
// and tells a serve without shards that sharded processes act. It returns
// how many shards it holds; release gives them and the heartbeat up.
//
// Errors: ECONFLICT when the live processes disagree on the shards (see
// disagreement); the store's.
func (s *Shards) visit(ctx context.Context, log *slog.Logger) (int, error) {
	if s.Count < 1 {
		return 0, nil
	}
	s.visiting = true
	// Announced before the controller lease is read, as a replica's
	// heartbeat is: a serve without shards starting now sees one or the
	// other.
	if _, _, err := s.Leases.Acquire(ctx, s.visitorName(s.Holder), s.Holder, s.TTL); err != nil {
		return 0, fmt.Errorf("shards: announce: %w", err)
	}
	members, err := s.Leases.List(ctx, memberPrefix)
	if err != nil {
		return 0, fmt.Errorf("shards: list the replicas: %w", err)
	}
	why, err := s.disagreement(ctx, members)
	if err != nil {
		return 0, fmt.Errorf("shards: %w", err)
	}
	if why != "" {
		return 0, headroom.Errorf(headroom.ECONFLICT, "shards: not acting: %s", why)
	}
	leases, err := s.Leases.List(ctx, shardPrefix)
	if err != nil {
		return 0, fmt.Errorf("shards: list the shards: %w", err)
	}
	taken := map[string]bool{}
	for _, l := range leases {
		taken[l.Name] = true
	}
	var mine []int
	for n := range s.Count {
		if l := s.shard(n); !taken[l.Name] && l.lead(ctx, log) {
			mine = append(mine, n)
		}
	}
	s.logHeld(mine, len(s.replicas(members)), log)
	return len(mine), nil
}

// replicas returns the heartbeats of members that are replicas', not
// visitors'.
func (s *Shards) replicas(members []headroom.Lease) []headroom.Lease {
	return slices.DeleteFunc(members, func(m headroom.Lease) bool { return m.Name != s.memberName(m.Holder) })
}

// logHeld says which shards this process acts on, when that changed.
func (s *Shards) logHeld(mine []int, replicas int, log *slog.Logger) {
	slices.Sort(mine)
	var list strings.Builder
	for i, n := range mine {
		if i > 0 {
			list.WriteByte(',')
		}
		list.WriteString(strconv.Itoa(n))
	}
	if list.String() == s.logged {
		return
	}
	s.logged = list.String()
	log.Info("shards: acting on the targets of these", "holder", s.Holder, "held", len(mine), "of", s.Count, "replicas", replicas, "shards", s.logged)
}

// announce takes or renews this replica's heartbeat: the others count it
// among the live replicas until it expires.
func (s *Shards) announce(ctx context.Context) error {
	_, _, err := s.Leases.Acquire(ctx, s.memberName(s.Holder), s.Holder, s.TTL)
	return err
}

// memberName is the name of holder's heartbeat lease as a replica: it
// carries the shard count, so that replicas configured with different
// counts (which would map a target to different shards, and so to two
// owners) see it.
func (s *Shards) memberName(holder string) string {
	return memberPrefix + strconv.Itoa(s.Count) + "/" + holder
}

// visitorName is the name of holder's heartbeat lease as a visitor (serve
// --once): under the same prefix and count as a replica's, and never equal
// to the name memberName gives the lease's holder, whatever the holder.
func (s *Shards) visitorName(holder string) string {
	return memberPrefix + strconv.Itoa(s.Count) + "/" + visitorMark + holder
}

// heartbeat is the name of this process's heartbeat lease.
func (s *Shards) heartbeat() string {
	if s.visiting {
		return s.visitorName(s.Holder)
	}
	return s.memberName(s.Holder)
}

// disagreement says why no replica may act on the shards, "" when they
// may: a live replica counts its shards differently, or a serve without
// shards holds the one leader lease (it acts on every target).
func (s *Shards) disagreement(ctx context.Context, members []headroom.Lease) (string, error) {
	for _, m := range members {
		if !strings.HasPrefix(m.Name, memberPrefix+strconv.Itoa(s.Count)+"/") {
			return fmt.Sprintf("replica %s runs with another shard count (%s); every replica must set the same spec.shards", m.Holder, m.Name), nil
		}
	}
	leaders, err := s.Leases.List(ctx, DefaultLeaseName)
	if err != nil {
		return "", err
	}
	for _, l := range leaders {
		if l.Name == DefaultLeaseName {
			return fmt.Sprintf("serve process %s runs without spec.shards and leads every target; waiting for it to stop", l.Holder), nil
		}
	}
	return "", nil
}

// shardedReplicas looks for sharded serve processes beside a serve without
// shards, which would lead every target, theirs too: it returns the
// ECONFLICT error naming one when a heartbeat is live, nil when none is.
//
// Errors: besides that one, the store's.
func shardedReplicas(ctx context.Context, leases headroom.Leases) error {
	members, err := leases.List(ctx, memberPrefix)
	if err != nil {
		return fmt.Errorf("look for sharded serve processes: %w", err)
	}
	if len(members) == 0 {
		return nil
	}
	m := members[0]
	return headroom.Errorf(headroom.ECONFLICT, "serve process %s runs with spec.shards (heartbeat %s, %d live) and acts on its shards' targets; this one runs without spec.shards and would be their second owner: not acting until they stop (or set the same spec.shards here)", m.Holder, m.Name, len(members))
}

// rank orders shard n among the free ones for this holder.
func (s *Shards) rank(n int) uint64 {
	h := fnv.New64a()
	fmt.Fprintf(h, "%s/%d", s.Holder, n)
	return h.Sum64()
}

// release gives every shard and the heartbeat up on shutdown, so the other
// replicas take them at their next loop instead of after the TTL.
func (s *Shards) release(ctx context.Context, log *slog.Logger) {
	for n := range s.Count {
		s.shard(n).release(ctx, log)
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), releaseTimeout)
	defer cancel()
	if err := s.Leases.Release(ctx, s.heartbeat(), s.Holder); err != nil {
		log.Warn("shards: heartbeat release failed; the others see this replica gone when it expires", "err", err)
	}
}
