// Package webhook delivers the status page's notifications to subscribers.
//
// Writes never call a subscriber: incident.Service queues one
// incident.Delivery per concerned subscriber in the store's outbox, in the
// same transaction as the write, and a Worker takes them from there. A
// receiver that is down, slow or answering errors gets every notification
// later, in the order they were queued, and a restart of the process loses
// none: what is not acknowledged with a 2xx stays in the outbox.
//
// # What a receiver gets
//
// Each delivery is an HTTP POST of Statuspage's webhook JSON with these
// headers:
//
//	Content-Type: application/json
//	User-Agent: headroom-webhook/1
//	X-Headroom-Delivery: 42
//	X-Headroom-Signature: t=1625072400,v1=<hex HMAC-SHA256 of "1625072400.42.<body>", keyed with the subscriber's secret>
//
// t is the attempt's time in Unix seconds; each attempt is signed afresh.
// The receiver checks the signature over the raw body, before parsing it,
// with Verify (or any HMAC-SHA256 implementation and a constant-time
// comparison), and refuses a t further than DefaultTolerance (5 minutes)
// from its own clock: a delivery captured on the way can then be replayed
// neither later nor under another delivery id (a receiver that remembers
// the ids it took in the last DefaultTolerance refuses a replay within
// the window too). Delivery is at least once: a receiver that answered but
// whose acknowledgement was not recorded (a crash in between) gets the
// same delivery again, with the same X-Headroom-Delivery, which it may use
// to drop duplicates.
package webhook
