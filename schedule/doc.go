// Package schedule turns the cron expressions of scheduled actions into
// activation times in a named IANA time zone.
//
// Parsing and the calendar walk come from github.com/robfig/cron/v3; this
// package fixes the dialect (five fields, no seconds, no @every, which only
// makes sense relative to a process start) and pins the DST behaviour that
// schedules in a zone with daylight saving time have, in tests.
package schedule
