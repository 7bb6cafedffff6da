// Package admin is the status page's write side: a JSON API under
// /api/admin/ to open, update and resolve incidents, write and publish
// postmortems, set components' statuses, schedule maintenance and manage
// webhook subscribers, all through incident.Service, so that every write
// is validated by the domain's rules and acknowledged only once the store
// has it.
//
// Every request carries an admin token (Authorization: Bearer hr_...).
// Tokens are made by `headroom token create` with NewToken; the store keeps
// only their SHA-256 (HashToken), and the API compares hashes in constant
// time against a cached copy. A missing, bad or revoked token is answered
// 401 before anything else is looked at, and a client that keeps sending
// bad ones is answered 429 for a while.
//
// Client is the API's Go client, used by `headroom incident` and
// `headroom component`.
package admin
