package check

import (
	"reflect"
	"testing"
	"time"

	"github.com/headroomhq/headroom"
	"github.com/headroomhq/headroom/internal/exampletest"
	"github.com/headroomhq/headroom/internal/synth"
	"github.com/headroomhq/headroom/sim"
)

// The zooms keep only the buckets near the first violations, yet a zoom on
// each of those shows what the fine buckets of the whole run held there;
// and on a run of many violations they hold a few chunks, not the run.
func TestZoomsShowWhatTheWholeRunHeld(t *testing.T) {
	ex := exampletest.Load(t)
	o := synth.Defaults()
	o.Days, o.Peak = 14, 12000 // the proposed policy misses its nights' ramps
	busy := exampletest.Synth(t, o, "busy.csv")
	for _, tr := range []*headroom.Series{ex.Traffic, busy} {
		ev := newEvaluator(ex.Service, time.UTC, tr.Name)
		whole := newBucketSink(ex.Service, tr, zoomBucket, 0)
		zs := newZoomSink(ex.Service, tr, ev)
		if _, err := sim.Run(sim.Config{Service: ex.Service, Policy: ex.Proposed, Traffic: tr}, ev, whole, zs); err != nil {
			t.Fatal(err)
		}
		ev.finish()
		if len(ev.violations) == 0 {
			t.Fatalf("%s: no violation to zoom on", tr.Name)
		}
		for i, v := range ev.violations[:min(len(ev.violations), maxZoomed)] {
			from, to := v.Start.Add(-zoomMargin), v.End.Add(zoomMargin)
			got, want := zs.window(from, to), cut(whole, from, to)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%s: zoom %d (%s to %s) differs from the whole run's buckets", tr.Name, i, from, to)
			}
		}
		z := zs.zooms
		kept, all := len(z.chunks)+len(z.free), (z.n+chunkBuckets-1)/chunkBuckets
		t.Logf("%s: %d violations, %d of %d chunks made", tr.Name, len(ev.violations), kept, all)
		if tr == busy {
			if len(ev.violations) <= maxZoomed {
				t.Fatalf("%d violations: the busy days must have more than the %d zoomed", len(ev.violations), maxZoomed)
			}
			if kept*2 > all {
				t.Errorf("%d chunks made of the run's %d: the zooms kept most of it", kept, all)
			}
		}
	}
}

// cut is the zoom as the fine sink made it when it kept every bucket.
func cut(c *chartSink, from, to time.Time) *Chart {
	c.finish()
	all := c.c
	lo := max(int(from.Sub(all.Start)/all.Bucket), 0)
	hi := min(int((to.Sub(all.Start)+all.Bucket-1)/all.Bucket), len(all.Demand))
	ch := &Chart{Traffic: all.Traffic, Start: all.Start.Add(time.Duration(lo) * all.Bucket), Bucket: all.Bucket,
		Demand: all.Demand[lo:hi], Ready: all.Ready[lo:hi], Desired: all.Desired[lo:hi],
		ErrorRatio: all.ErrorRatio[lo:hi], LatencyMs: all.LatencyMs[lo:hi]}
	c.capacities(ch)
	return ch
}
