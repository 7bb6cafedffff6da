// Package statuspage is the public side of the status page: the HTML pages
// people read (the current status with 90-day uptime bars, one page per
// incident laid out like Atlassian Statuspage's incident reports, the
// history), a JSON API with Statuspage's public v2 shapes so existing
// widgets and clients work, and Atom and RSS feeds of incidents.
//
// Every answer is rendered once per incident.Snapshot, in Handler.Publish,
// into an immutable table of bodies (each with an ETag) that is swapped in
// atomically; a request only looks its path up and writes the bytes. A
// body's gzip variant is made once, by the first request that asks for
// it. Reads never touch the store and cost the same however many people
// refresh the page during an outage.
//
// Incident bodies are Markdown, rendered with goldmark and sanitized with
// bluemonday to a small set of harmless elements; every answer carries a
// Content-Security-Policy that lets no script run and nothing load.
package statuspage
