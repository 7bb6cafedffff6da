// Package check is the replay comparison behind `headroom check`: it runs
// the proposed policy, and the baseline when there is one, through package
// sim on every traffic series (the policies concurrently), judges each SLO
// window of each run, and returns a Report: the violations with the
// decision that caused each, the detector's alerts, totals, chart buckets
// and a verdict.
//
// The verdict is Fail when the proposed policy misses the SLO in any
// window, or, with a baseline, when it fails more requests or spends more
// time out of SLO than the baseline; Pass otherwise. Package report renders
// a Report as text, Markdown, JUnit, JSON or HTML; its JSON form is
// documented in docs/CHECK-JSON.md.
//
// Check applies no rule of its own: decisions come from engine.Decide
// (through sim), so a verdict is about the code the controller runs.
package check
