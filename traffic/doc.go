// Package traffic reads recorded traffic into a *headroom.Series, the
// request counts per interval that headroom's simulator replays.
//
// # Formats
//
// ReadFile and Read take the format from Options.Format, or detect it from
// the first bytes (Detect): a JSON object is a Prometheus response, a first
// line in Common or Combined Log Format is an access log, anything else is
// CSV.
//
// CSV ("csv") has one row per interval, optionally after the header line
// "timestamp,requests":
//
//	timestamp,requests
//	2021-06-01T00:00:00Z,123
//	2021-06-01T00:01:00Z,131.5
//
// The timestamp is the start of the interval, as RFC3339 (Z or an offset;
// whole seconds) or as integer Unix seconds; requests is the number of
// requests in [timestamp, timestamp+step), a non-negative number. Blank
// lines and lines starting with '#' are skipped. The step is the smallest
// positive difference between consecutive timestamps among the first 1000
// rows; every later row must come one step, or a whole number of steps
// (a gap), after the one before it. Rows out of order, duplicate timestamps
// and jumps that are not a whole number of steps are errors, as is a step
// longer than MaxStep. The file is streamed: only the counts are kept.
//
// Prometheus ("prometheus") is the JSON body of GET /api/v1/query_range
// with resultType "matrix". Values are rates in requests per second, such as
// sum(rate(http_requests_total[1m])): each sample becomes a count of rate ×
// step for the interval that starts at its timestamp. (A rate looks back
// over its window, so the series is up to one step later than the traffic
// it measures.) The step is the smallest difference between consecutive
// samples of a series; every series must be on that grid. Several series
// are summed, with a Warning. NaN, infinite or negative values are errors.
//
// Access logs ("accesslog") in Common or Combined Log Format:
//
//	127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /a.gif HTTP/1.0" 200 2326
//
// are counted per second of the bracketed time, in UTC, from the first
// request to the last. Lines may be out of order (a Warning says how many
// were); a second without a request counts 0, as a log is the whole record.
// Blank lines are skipped; any other line that is not in the format is an
// error.
//
// # Gaps
//
// A CSV file or a Prometheus response with missing intervals has gaps.
// Options.Gaps decides what to do with them:
//
//   - "error" (the default): refuse the input, naming the line or sample
//     after the gap and the missing span.
//   - "zero": fill the missing intervals with 0 requests, which is right when
//     the exporter drops intervals without traffic.
//   - "hold": repeat the count of the interval before the gap, which is
//     right when the recording stalled while traffic went on.
//
// Each filled gap gives a Warning (the first MaxGapWarnings of them, then one
// that sums up the rest). Gaps that would make the series longer than
// Options.MaxIntervals are refused whatever the policy.
//
// # Errors and warnings
//
// Reading stops at the first problem in the file. Problems with the input
// are *headroom.InputError values naming the file,
// the line (0 for Prometheus JSON, whose errors name the field path such as
// data.result[0].values[17]), the field, the value found and what was
// expected. Warnings are what the reader handled on the user's behalf and
// must be shown to them.
//
// Scale and Shift transform a series for what-if runs: more traffic, or the
// same traffic at another time.
//
// # Pulling and joining
//
// Pull asks a range query (a RangeFunc, such as metrics/prom's Ranger) for
// a span of history in chunks Prometheus answers (at most 11,000 points per
// series), joins the answers in time order and reports the evaluation times
// without a value as Gaps; WriteCSV writes the result as the CSV above, a
// gap being missing rows. Join makes one series of several recordings of
// one period, reporting overlaps (the recording that starts first keeps its
// counts) and handling the gaps between them as the gap policy says.
package traffic
