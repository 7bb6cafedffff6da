// Package postmortem drafts an incident's postmortem from what headroom
// recorded: the target's loops (demand, error ratio, latency, capacity and
// what it needed), the decisions with their reasons, the detector's alerts
// and the status page's updates. Every figure names its source; a figure
// the record cannot give is marked as missing, never guessed.
//
// The same draft comes from a live incident (the journal) and from a
// replay (`headroom check --postmortem`): both reduce to Input. The
// package is pure: no clock, no I/O.
//
// The sections are the seed's report (Summary, Impact, Root cause,
// Remedial actions) and the fields of the Google SRE postmortem template
// (https://sre.google/sre-book/example-postmortem/): Trigger, Detection,
// Resolution, Timeline, and What went well / wrong / where we got lucky,
// which are left as prompts for people.
package postmortem
