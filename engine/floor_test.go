package engine

import (
	"strings"
	"testing"
	"time"

	"github.com/headroomhq/headroom"
)

// TestFloorHoldsThePlatform: guard mode on an HPA with minReplicas 2 and
// 20 pods. The guards of guard_test.go: 100 req/s per instance at 50% with
// 10% margin, at most 2 (or 10%) fewer a minute.
func TestFloorHoldsThePlatform(t *testing.T) {
	at := time.Date(2021, 6, 30, 17, 0, 0, 0, time.UTC)
	ask := func(now time.Time, st State, ready int, obs headroom.Observation) FloorOutput {
		return Floor(FloorInput{Now: now, Guards: guards(), Current: headroom.Capacity{Ready: ready}, Observation: obs, PlatformMin: 2, State: st})
	}

	// 1,000 req/s need ceil(1000 × 1.1 / 50) = 22: all 20 are held.
	out := ask(at, State{}, 20, seen(at, 1000, 50))
	if out.Floor != 20 || out.Reason.Code != headroom.ReasonScaleInDeferred {
		t.Fatalf("busy: floor %d (%s), want 20 deferred", out.Floor, out.Reason.Code)
	}
	if !strings.Contains(out.Reason.Message, "may scale in from 20 to its minimum 2") || !strings.Contains(out.Reason.Message, "needs 22 instances") {
		t.Errorf("reason %q", out.Reason.Message)
	}

	// Demand falls to 300 req/s (7 needed): the rate limit lets the
	// platform remove 2 a minute. It does at 17:01; at 17:01:15 the floor
	// stays 18 (2 already removed this minute); after a minute, 16.
	now := at.Add(time.Minute)
	out = ask(now, out.State, 20, seen(now, 300, 20))
	if out.Floor != 18 || out.Reason.Code != headroom.ReasonScaleInLimited {
		t.Fatalf("falling: floor %d (%s), want 18 rate limited", out.Floor, out.Reason.Code)
	}
	now = now.Add(15 * time.Second)
	out = ask(now, out.State, 18, seen(now, 300, 20))
	if out.Floor != 18 || len(out.State.GuardEvents) != 1 || out.State.GuardEvents[0].Replicas != 2 {
		t.Fatalf("after the platform removed 2: floor %d, events %v; want 18 and one event of 2", out.Floor, out.State.GuardEvents)
	}
	now = now.Add(time.Minute)
	out = ask(now, out.State, 18, seen(now, 300, 20))
	if out.Floor != 16 {
		t.Fatalf("a minute later: floor %d, want 16", out.Floor)
	}

	// Blind: no demand sample freezes scale-in at the current count.
	out = ask(now, out.State, 18, headroom.Observation{Time: now})
	if out.Floor != 18 || out.Reason.Code != headroom.ReasonBlind {
		t.Fatalf("blind: floor %d (%s), want 18 blind", out.Floor, out.Reason.Code)
	}
	// Saturated: the floor steps out by half, to 27, past the platform.
	out = ask(now, out.State, 18, seen(now, 300, 97))
	if out.Floor != 27 || out.Reason.Code != headroom.ReasonEmergency {
		t.Fatalf("saturated: floor %d (%s), want 27 emergency", out.Floor, out.Reason.Code)
	}
	// Quiet: 50 req/s need 2 on 3 pods; the HPA's own minimum stands.
	out = ask(now, State{}, 3, seen(now, 50, 20))
	if out.Floor != 2 || out.Reason.Code != headroom.ReasonGuardIdle || !strings.Contains(out.Reason.Message, "50 req/s needs 2 instances") {
		t.Fatalf("quiet: floor %d (%s %q), want the platform's 2, idle", out.Floor, out.Reason.Code, out.Reason.Message)
	}
	// No guards: nothing is held.
	if out := Floor(FloorInput{Now: now, Current: headroom.Capacity{Ready: 20}, Observation: seen(now, 1000, 50), PlatformMin: 2}); out.Floor != 2 {
		t.Fatalf("guards off: floor %d, want 2", out.Floor)
	}
}
