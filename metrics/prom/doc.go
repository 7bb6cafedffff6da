// Package prom is a headroom.MetricsSource that reads a target's metrics
// from the Prometheus HTTP API (GET/POST /api/v1/query_range).
//
// A Source holds one PromQL expression per metric (Queries). Only Demand is
// required; an empty optional query is not run and its metric stays unset.
//
// # What Observe returns
//
// Observe runs every configured query as a range query evaluated at now,
// now-Step, now-2·Step, ... back to now-Window (all queries concurrently,
// each bounded by Timeout), and folds each result into one value:
//
//   - At each evaluation time the series of a query are combined: summed for
//     Demand (per-pod request rates add up to the target's demand), averaged
//     for Utilization, ErrorRatio and Latency (per-pod percentages, ratios and
//     latencies do not add up). Write sum(...) or avg(...) in the query to
//     decide it yourself: one series is left as it is.
//   - The combined values are averaged over the evaluation times that have
//     one: the metric as it was over the window, like an autoscaler's
//     averaging window.
//   - NaN and ±Inf samples (a 0/0 error ratio when there was no traffic) are
//     left out.
//
// A query with no sample left is a missing metric (Has... false), not an
// error: a Demand query without data gives an Observation with HasDemand
// false, and the engine's blind guard then freezes scale-in. A metric whose
// newest sample is older than MaxAge is missing too: old data must not
// pass for the present. Because a range query answers at its evaluation
// times, "newest sample" means the latest evaluation time at which the
// expression had a value; Prometheus's staleness handling ends a series as
// soon as its target stops answering, so a dead exporter shows as an old
// newest sample.
//
// Observation.Time is the newest sample's timestamp — of the stalest metric
// present, so that the observation never looks fresher than any of its
// parts. With no metric present it is now. It is in UTC. Units: Utilization in percent,
// Demand in requests per second, ErrorRatio as a ratio in [0, 1], Latency in
// seconds (converted to a time.Duration). HasHealth is set when ErrorRatio
// or Latency has a value; the other one is then 0. Values are taken as
// Prometheus gives them: nothing is clamped.
//
// # Errors
//
// Observe returns a *headroom.Error:
//
//   - EINVALID when the Source is misconfigured (url, queries.demand,
//     timeout, window, step, maxAge) or when Prometheus rejects a query as
//     bad_data, e.g. "queries.utilization: 1:8: parse error: ... (query
//     `rate(x[`)". Field names are those of the target's YAML: queries.demand,
//     queries.utilization, queries.errorRatio, queries.latency.
//   - EUNAVAILABLE when Prometheus cannot be reached, does not answer within
//     Timeout, answers with an HTTP 5xx or an error status of any other type
//     (timeout, execution, canceled), or with a body that is not an API
//     response. The message names the URL and the query field.
//
// When several queries fail, the error is that of the first field in the
// order above, an EINVALID before an EUNAVAILABLE.
//
// # Warnings
//
// Prometheus may answer a query with warnings (and, from 2.45, infos). They
// do not change the observation; Source.Warnings returns those of the last
// Observe, each prefixed with its query field, together with the Source's own
// notes on metrics it left out (every sample NaN, newest sample too old).
package prom
