package incident

import (
	"testing"
	"time"
)

// The data a write applies keeps the history a Load from since would
// return: older entries leave (the snapshot's data would otherwise grow
// by every status change for as long as serve runs), new ones go in time
// order after those at the same instant, and d is not changed.
func TestAppliedHistory(t *testing.T) {
	t0 := time.Date(2021, 6, 30, 0, 0, 0, 0, time.UTC)
	d := &Data{Version: 7, History: []StatusChange{
		{ComponentID: "a", At: t0.Add(-time.Hour), From: Operational, To: MajorOutage},
		{ComponentID: "a", At: t0, From: MajorOutage, To: Operational},
		{ComponentID: "b", At: t0.Add(2 * time.Hour), From: Operational, To: PartialOutage},
	}}
	c := &Change{History: []StatusChange{
		{ComponentID: "c", At: t0.Add(-time.Minute), From: Operational, To: MajorOutage},
		{ComponentID: "c", At: t0.In(time.FixedZone("x", 3600)), From: MajorOutage, To: Operational},
		{ComponentID: "d", At: t0.Add(time.Hour), From: Operational, To: DegradedPerformance},
	}}
	n := applied(d, c, 8, t0)
	want := []string{"a " + t0.String(), "c " + t0.String(), "d " + t0.Add(time.Hour).String(), "b " + t0.Add(2*time.Hour).String()}
	var got []string
	for _, h := range n.History {
		got = append(got, h.ComponentID+" "+h.At.String())
	}
	if n.Version != 8 || len(got) != len(want) {
		t.Fatalf("version %d, history %q; want 8, %q", n.Version, got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("history %q; want %q", got, want)
		}
	}
	if len(d.History) != 3 || d.History[0].ComponentID != "a" || d.Version != 7 {
		t.Errorf("d changed: %+v", d)
	}
}
