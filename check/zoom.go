package check

import (
	"slices"
	"time"

	"github.com/headroomhq/headroom"
)

// zoomChunk holds chunkBuckets consecutive fine buckets, from first.
type zoomChunk struct {
	first                       int
	demand, errRatio, latencyMs [chunkBuckets]float64
	ready, desired              [chunkBuckets]int
}

// chunkBuckets is a chunk's length: 64 minutes of 15 s buckets.
const chunkBuckets = 256

// zooms keeps the fine buckets a zoom chart may show, a chunk at a time:
// those within zoomMargin of one of the run's first maxZoomed violations,
// and the recent ones a violation not judged yet may start near. The
// others go back to be written again: kept whole, a month's fine buckets
// were 7 MB a run (14 for a check's two), zeroed and written for ten
// zooms at most.
type zooms struct {
	ev     *evaluator // judges the seconds before they reach the zooms
	start  time.Time
	bucket time.Duration
	chunks []*zoomChunk // kept, oldest first; the last one is being filled
	free   []*zoomChunk
	n      int // buckets so far
}

func newZoomSink(svc *headroom.Service, tr *headroom.Series, ev *evaluator) *chartSink {
	c := newBucketSink(svc, tr, zoomBucket, 0)
	c.zooms = &zooms{ev: ev, start: tr.Start, bucket: zoomBucket * time.Second}
	return c
}

// add appends the next bucket.
func (z *zooms) add(demand float64, ready, desired int, errRatio, latencyMs float64) {
	i := z.n % chunkBuckets
	if i == 0 {
		z.release()
		var k *zoomChunk
		if n := len(z.free); n > 0 {
			k, z.free = z.free[n-1], z.free[:n-1]
		} else {
			k = new(zoomChunk)
		}
		k.first = z.n
		z.chunks = append(z.chunks, k)
	}
	k := z.chunks[len(z.chunks)-1]
	k.demand[i], k.ready[i], k.desired[i], k.errRatio[i], k.latencyMs[i] = demand, ready, desired, errRatio, latencyMs
	z.n++
}

// release frees the chunks no zoom can show. The evaluator has judged
// every window before the one it fills: a violation it has yet to find
// starts no earlier than that window, or than the one still open.
func (z *zooms) release() {
	ev := z.ev
	later := 0 // the chunks from here on may show a violation to come
	switch {
	case len(ev.violations) >= maxZoomed:
		later = len(z.chunks)
	case ev.started:
		next := time.Unix(ev.start, 0)
		if ev.open != nil {
			next = ev.open.Start
		}
		lo, _ := z.span(next.Add(-zoomMargin), next)
		for later < len(z.chunks) && z.chunks[later].first+chunkBuckets <= lo {
			later++
		}
	}
	kept := z.chunks[:0]
	for i, k := range z.chunks {
		if i >= later || z.shown(k) {
			kept = append(kept, k)
		} else {
			z.free = append(z.free, k)
		}
	}
	clear(z.chunks[len(kept):])
	z.chunks = kept
}

// shown says whether a zoom on one of the first maxZoomed violations shows
// a bucket of k.
func (z *zooms) shown(k *zoomChunk) bool {
	vs := z.ev.violations
	for _, v := range vs[:min(len(vs), maxZoomed)] {
		if lo, hi := z.span(v.Start.Add(-zoomMargin), v.End.Add(zoomMargin)); k.first < hi && lo < k.first+chunkBuckets {
			return true
		}
	}
	return false
}

// span returns the buckets [lo, hi) a chart of [from, to) shows, before
// they are bounded by those there are.
func (z *zooms) span(from, to time.Time) (lo, hi int) {
	return int(from.Sub(z.start) / z.bucket), int((to.Sub(z.start) + z.bucket - 1) / z.bucket)
}

// chart returns buckets [lo, hi) as a chart, or nil when one of them was
// released (a zoom on a violation past the first maxZoomed).
func (z *zooms) chart(c *Chart, lo, hi int) *Chart {
	n := hi - lo
	ch := &Chart{Traffic: c.Traffic, Start: c.Start.Add(time.Duration(lo) * c.Bucket), Bucket: c.Bucket,
		Demand: make([]float64, n), Ready: make([]int, n), Desired: make([]int, n),
		ErrorRatio: make([]float64, n), LatencyMs: make([]float64, n)}
	for i := lo; i < hi; {
		// The first chunk ending after bucket i: it holds i, unless
		// the one that did was released.
		j, _ := slices.BinarySearchFunc(z.chunks, i, func(k *zoomChunk, b int) int { return k.first + chunkBuckets - 1 - b })
		if j == len(z.chunks) || z.chunks[j].first > i {
			return nil
		}
		k := z.chunks[j]
		from, to := i-k.first, min(hi-k.first, chunkBuckets)
		o := i - lo
		copy(ch.Demand[o:], k.demand[from:to])
		copy(ch.Ready[o:], k.ready[from:to])
		copy(ch.Desired[o:], k.desired[from:to])
		copy(ch.ErrorRatio[o:], k.errRatio[from:to])
		copy(ch.LatencyMs[o:], k.latencyMs[from:to])
		i += to - from
	}
	return ch
}
