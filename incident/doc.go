// Package incident is the status page's domain: a page with components in
// groups, incidents with their updates and postmortems, scheduled
// maintenance, and the rules that tie them together — which status follows
// which, what the page's overall indicator is, how much of a day a
// component was up. It is the Statuspage model (https://developer.statuspage.io/),
// so the public JSON API can keep its field names and enums.
//
// Service holds the rules and writes through a Store (store/sqlite,
// store/postgres); Snapshot is what the public side serves, built from the
// store's Data on every write, never per request.
package incident
