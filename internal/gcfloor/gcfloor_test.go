package gcfloor

import (
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"testing"
	"time"
)

func TestPercent(t *testing.T) {
	for _, c := range []struct {
		base, room uint64
		want       int
	}{
		{10 << 20, 64 << 20, 640}, // a status page: 10 MB live and roots grow by 64 MB
		{64 << 20, 64 << 20, 100}, // at the floor, the default
		{1 << 30, 64 << 20, 100},  // a large heap keeps GOGC=100
		{0, 64 << 20, 1600},       // before any collection: the minimum heap sets the goal
		{3 << 20, 64 << 20, 1600}, // a tiny heap: the minimum heap, 4 MiB × GOGC/100, reaches 64 MB first
		{30 << 20, 64 << 20, 214}, // rounded up: 30 MB × 2.14 ≥ 64 MB
	} {
		if got := Percent(c.base, c.room); got != c.want {
			t.Errorf("Percent(%d, %d) = %d, want %d", c.base, c.room, got, c.want)
		}
	}
}

func gogc() int {
	s := []metrics.Sample{{Name: "/gc/gogc:percent"}}
	metrics.Read(s)
	return int(s[0].Value.Uint64())
}

// waitGOGC collects until the tuner's finalizer has set GOGC to want.
func waitGOGC(t *testing.T, want func(int) bool, what string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !want(gogc()) {
		if time.Now().After(deadline) {
			t.Fatalf("GOGC = %d after 10 s of collections; want %s", gogc(), what)
		}
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
	}
}

// collections counts the cycles while 256 MB of short-lived garbage is
// allocated in 4 KB pieces (as serve's requests allocate).
func collections() uint32 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	var keep []byte
	for range (256 << 20) / 4096 {
		keep = make([]byte, 4096)
		keep[0] = 1
	}
	_ = keep
	runtime.ReadMemStats(&after)
	return after.NumGC - before.NumGC
}

// With the floor, a small heap collects every 64 MB of garbage instead of
// every few MB; a large live heap brings GOGC back to 100; stop restores
// the GOGC there was; GOGC in the environment turns it off.
func TestFloor(t *testing.T) {
	t.Setenv("GOGC", "")
	old := debug.SetGCPercent(100)
	defer debug.SetGCPercent(old)
	runtime.GC()
	without := collections()

	stop := Start(DefaultRoom)
	defer stop()
	waitGOGC(t, func(p int) bool { return p > 100 }, "above 100 for this test's small heap")
	with := collections()
	t.Logf("collections over 256 MB of garbage: %d without the floor, %d with it", without, with)
	if without < 20 || with > without/4 || with > 8 {
		t.Errorf("collections over 256 MB of garbage: %d without the floor, %d with it; want at least 20 without, at most 8 and a quarter with", without, with)
	}

	big := make([]byte, 256<<20) // live: more than the floor
	waitGOGC(t, func(p int) bool { return p == 100 }, "100 with 256 MB live")
	runtime.KeepAlive(big)
	big = nil

	stop()
	debug.SetGCPercent(77)
	runtime.GC()
	runtime.GC()
	time.Sleep(20 * time.Millisecond)
	if p := gogc(); p != 77 {
		t.Errorf("GOGC = %d after stop and a set to 77; want 77 (the tuner still running)", p)
	}

	t.Setenv("GOGC", "150")
	debug.SetGCPercent(150)
	stop = Start(DefaultRoom)
	defer stop()
	runtime.GC()
	runtime.GC()
	time.Sleep(20 * time.Millisecond)
	if p := gogc(); p != 150 {
		t.Errorf("GOGC = %d with GOGC=150 in the environment; want 150 (not tuned)", p)
	}
}
