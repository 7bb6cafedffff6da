package check

import (
	"testing"
	"time"
)

// A run that leads another by more than the pace waits at its report until
// the other catches up or ends; the check's progress adds both.
func TestProgressPacesRuns(t *testing.T) {
	var last int
	p := newProgress(func(done, total int) { last = done }, 2000, 2)
	if p.pace != 20 {
		t.Fatalf("pace %d, want 20: a fiftieth of a run's 1,000 seconds", p.pace)
	}
	ahead, behind := p.run(0), p.run(1)
	returned := make(chan struct{})
	go func() {
		ahead(100, 1000)
		close(returned)
	}()
	behind(50, 1000) // 100 leads 50 by 50: still waiting
	select {
	case <-returned:
		t.Fatal("a run 50 s ahead did not wait")
	case <-time.After(50 * time.Millisecond):
	}
	behind(85, 1000) // within 20 s: released
	select {
	case <-returned:
	case <-time.After(10 * time.Second):
		t.Fatal("a run 15 s ahead still waits")
	}
	p.mu.Lock()
	if last != 185 {
		t.Errorf("progress %d, want 185 (100 + 85)", last)
	}
	p.mu.Unlock()

	// A run that ended, finished or failed, holds nobody back.
	p.end(1)
	ahead(900, 1000)
	// One traffic file's callback reports its own seconds: the second
	// file's start at 0 does not set the run back.
	second := p.run(0)
	second(10, 500)
	if got := p.runs[0].done; got != 910 {
		t.Errorf("run 0 at %d s, want 910", got)
	}
}
