// Package detect decides, each loop, whether a target is in trouble, and
// says why. It is the detector `headroom check` and `headroom simulate` run
// on replayed traffic and `headroom serve` runs on live metrics: one code,
// as for the engine, so "this change would page you at 17:00" in a CI
// report is what production would do.
//
// Two kinds of signal:
//   - cause: ready capacity is below what demand needs at the SLO. It can
//     fire before users see an error, and names the decision that left
//     capacity short (a scheduled action, a scale-in) or the demand rise the
//     policy could not follow.
//   - symptom: the error budget burns faster than a rule allows — the SRE
//     workbook's multiwindow, multi-burn-rate rules by default, or a fast
//     rule tuned on the service's own history — or latency stays over the
//     SLO.
//
// A third, blind, says the detector cannot see: it is for operators and
// never reaches customers.
//
// The detector reads no clock and does no I/O: time and samples come in,
// alerts come out, and its memory is a value (State) the live controller
// keeps in its journal, so a restart neither forgets an alert nor pages
// twice. A Detector changes only its own memory, in place, because the
// simulator calls it every few simulated seconds for a month of traffic.
package detect
