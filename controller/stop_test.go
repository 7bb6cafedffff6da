package controller_test

import (
	"context"
	"testing"
	"time"

	"github.com/headroomhq/headroom"
	"github.com/headroomhq/headroom/controller"
	"github.com/headroomhq/headroom/store/memory"
)

// slowScale is a platform whose scale call takes a while (a command, an
// API server far away) and stops when its context is cancelled.
type slowScale struct {
	*counting
	entered chan struct{}
	took    time.Duration
}

func (s slowScale) Scale(ctx context.Context, desired int, _ headroom.Reason) error {
	select {
	case s.entered <- struct{}{}:
	default:
	}
	select {
	case <-time.After(s.took):
		s.scale(desired, "")
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// A stop (SIGTERM: serve cancels Run's context) during a scale call lets
// the call finish and be recorded as applied, within the controller's
// StopGrace, instead of cancelling it mid-way (a command killed, the
// platform and the record disagreeing until the next start reconciles
// the intent).
func TestStopLetsTheActuationUnderWayFinish(t *testing.T) {
	_, prop, _ := load(t)
	p := slowScale{counting: &counting{count: 10}, entered: make(chan struct{}, 1), took: 300 * time.Millisecond}
	j := &memory.Journal{}
	c := controller.New(j, &controller.Target{Name: "web", Mode: headroom.ModeEnforce, Policy: prop,
		Source: steady{demand: 1000, cpu: 100}, Actuator: p})
	c.Interval = 20 * time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	select {
	case <-p.entered:
	case <-time.After(10 * time.Second):
		t.Fatal("no scale call in 10 s")
	}
	cancel()
	select {
	case <-done:
	case <-time.After(controller.DefaultStopGrace + 5*time.Second):
		t.Fatal("Run did not return after the stop")
	}
	recs, err := j.Records(context.Background(), "web", time.Time{}, time.Time{}, 0)
	if err != nil || len(recs) == 0 {
		t.Fatalf("records: %v, %d", err, len(recs))
	}
	last := recs[len(recs)-1]
	p.mu.Lock()
	scaled := len(p.scales)
	p.mu.Unlock()
	if len(recs) != 1 || !last.Applied || scaled != 1 {
		t.Errorf("the scale under way at the stop: %d records, the last applied %v (%s), %d scale calls completed; want one record, applied, and the call completed", len(recs), last.Applied, last.Error, scaled)
	}

	// A call that outlasts the grace is cancelled at its end.
	c2 := controller.New(&memory.Journal{}, &controller.Target{Name: "web", Mode: headroom.ModeEnforce, Policy: prop,
		Source: steady{demand: 1000, cpu: 100}, Actuator: slowScale{counting: &counting{count: 10}, entered: p.entered, took: time.Hour}})
	c2.Interval, c2.StopGrace = 20*time.Millisecond, 200*time.Millisecond
	ctx2, cancel2 := context.WithCancel(context.Background())
	go func() { done <- c2.Run(ctx2) }()
	<-p.entered
	stopped := time.Now()
	cancel2()
	select {
	case <-done:
		if d := time.Since(stopped); d < 150*time.Millisecond {
			t.Errorf("Run returned %s after the stop; want the grace (200 ms) given to the call", d)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return 10 s after the stop with a 200 ms grace")
	}
}
