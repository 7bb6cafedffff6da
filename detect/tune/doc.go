// Package tune fits the detector's symptom rule to a service's own history,
// and exports the detector's rules as Prometheus alerting rules.
//
// Run replays recorded traffic through a policy with the same simulator and
// detector `headroom check` uses (sim.Run with Config.Detect), three times
// per recording: as it was (the normal days), with short blips of 502s
// injected (which must not page) and with 10-minute bursts injected (which
// must). It searches a grid of single-window and two-window burn-rate rules
// for the fastest one — the smallest median time from a burst's onset to
// its page — that pages on no normal day and no blip and catches every
// burst, and scores the SRE workbook's defaults and two reference rules
// (Sloth's and Pyrra's fast pairs) on the same runs.
//
// WriteDetection puts the chosen rules into a Service file's `detection:`
// block, keeping the rest of the file byte for byte; PrometheusRules writes
// a rule file for users who only want the alert.
//
// The package does no I/O: traffic, policy and files come in as values.
package tune
