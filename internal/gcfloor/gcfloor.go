// Package gcfloor gives a server's heap a floor of room between garbage
// collections.
//
// The Go collector starts a cycle when the heap has grown by GOGC percent
// of what was live after the last one (https://go.dev/doc/gc-guide). A
// status page's live heap is small (its pre-rendered pages, ~10 MB) while
// serving allocates a few KB a request: at GOGC=100 serve collected about
// fourteen times a second under load, and that work was the difference
// between its requests per CPU-second and a bare server's (bench/README.md).
// A floor of room (64 MiB by default) makes a small heap collect less
// often; a large heap (the controller with many targets) keeps GOGC=100,
// so memory grows by at most the floor beyond what the default allows.
package gcfloor

import (
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
)

// DefaultRoom is the room a heap gets between collections at least.
const DefaultRoom = 64 << 20

// The collector's goal is live + (live + roots) × GOGC/100, roots being
// the globals and goroutine stacks it scans
// (https://go.dev/doc/gc-guide#GOGC): GOGC scales their sum.
var baseMetrics = []string{"/gc/heap/live:bytes", "/gc/scan/globals:bytes", "/gc/scan/stack:bytes"}

// Start keeps GOGC at what gives the heap at least room bytes to grow
// between collections (and never below 100), re-set after each
// collection, until the returned stop is called; stop restores GOGC to
// what it was. When the GOGC environment variable is set, the person
// running the program chose: Start does nothing.
func Start(room uint64) (stop func()) {
	if os.Getenv("GOGC") != "" || room == 0 {
		return func() {}
	}
	t := &tuner{room: room}
	t.prev = debug.SetGCPercent(Percent(base(), room))
	t.arm()
	return func() {
		t.mu.Lock()
		defer t.mu.Unlock()
		if !t.stopped {
			t.stopped = true
			debug.SetGCPercent(t.prev)
		}
	}
}

// Percent is the GOGC that gives the heap room to grow before its next
// collection: base × GOGC/100 ≥ room, base being the live heap and the
// roots the last collection found, and at least 100.
func Percent(base, room uint64) int {
	if base == 0 {
		base = 1 << 20 // no collection yet: the cap below decides
	}
	p := (room*100 + base - 1) / base
	// The runtime also keeps a minimum heap of 4 MiB × GOGC/100
	// (heapMinimum in runtime/mgcpacer.go): past room/4 MiB × 100 that
	// minimum, not base, sets the goal, so a tiny heap would grow far
	// beyond room.
	p = min(p, room*100/(4<<20))
	return int(max(100, p))
}

type tuner struct {
	room    uint64
	prev    int
	mu      sync.Mutex // a finalizer setting GOGC and stop restoring it
	stopped bool
}

// arm sets a finalizer on a new object: it runs after the collection that
// finds the object unreachable, so once per cycle.
func (t *tuner) arm() {
	sentinel := new([16]byte)
	runtime.SetFinalizer(sentinel, func(*[16]byte) {
		t.mu.Lock()
		defer t.mu.Unlock()
		if t.stopped {
			return
		}
		debug.SetGCPercent(Percent(base(), t.room))
		t.arm()
	})
}

// base is what GOGC scales: the live heap and the roots.
func base() uint64 {
	s := make([]metrics.Sample, len(baseMetrics))
	for i, name := range baseMetrics {
		s[i].Name = name
	}
	metrics.Read(s)
	var sum uint64
	for _, v := range s {
		if v.Value.Kind() == metrics.KindUint64 {
			sum += v.Value.Uint64()
		}
	}
	return sum
}
