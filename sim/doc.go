// Package sim replays recorded traffic through a policy, one simulated
// second at a time, on a model of the service: what `headroom check` and
// `headroom simulate` run, and what sim/world puts behind the live
// controller.
//
// Each second, Run makes due launches ready (Fleet), and, when the engine
// asked to be called again (engine.Output.Next), hands engine.Decide what
// the autoscaler would observe: the metrics averaged over the policy's
// window and delayed as a metrics pipeline delays them. The Model (M/M/c
// queues with a fluid backlog, see Model) turns demand and ready instances
// into latency, 502s and utilization; the result of the second, a
// headroom.Second, goes to every Sink. The detector (package detect) runs
// beside the engine every DefaultDetectInterval and at each cut, as the
// live loop runs it.
//
// Most seconds of a month are quiet — no backlog, ready instances far from
// saturation, so no request waits or fails — and Run writes them out
// without the model, handing a SpanSink a run of them at once (Span);
// check's sinks take spans, other sinks get the same seconds one by one.
// The engine decides tersely (engine.Input.Terse) and again in full for
// the decisions a run lists. Neither changes a figure: check's reports
// are byte-identical, and tests hold each shortcut to the long way.
//
// The simulator keeps no per-second timeline: a month is 2.6 million
// seconds per policy, so sinks aggregate (check's SLO windows and chart
// buckets) or stream (simulate's timeline CSV). It reads no clock: time is
// the traffic's own, and the engine is the one the controller calls. Every
// scaling rule lives in the engine, never here.
package sim
