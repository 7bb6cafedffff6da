// Command fixedserver is the ceiling of bench/statuspage.sh: the least a Go
// HTTP server can do, a fixed 5 KB body, so the status page's requests/s
// can be reported as a share of what this machine serves at all. -size
// serves a body of another size (the status page's own, to compare like
// with like); -headers adds the eight other headers the status page sends
// with a compressed page (security headers, Cache-Control, Vary,
// Content-Encoding, ETag), to tell net/http's cost of writing them from
// the status page's own.
package main

import (
	"bytes"
	"flag"
	"log"
	"net/http"
	"strconv"
)

func main() {
	addr := flag.String("listen", "127.0.0.1:18081", "address")
	size := flag.Int("size", 5*1024, "bytes of the body")
	headers := flag.Bool("headers", false, "also send the status page's other headers")
	flag.Parse()
	body := bytes.Repeat([]byte("headroom "), *size/9+1)[:*size]
	length := strconv.Itoa(len(body))
	http.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) {
		h := w.Header()
		h.Set("Content-Type", "text/html; charset=utf-8")
		h.Set("Content-Length", length)
		if *headers {
			h.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
			h.Set("X-Content-Type-Options", "nosniff")
			h.Set("X-Frame-Options", "DENY")
			h.Set("Referrer-Policy", "no-referrer")
			h.Set("Cache-Control", "public, max-age=10")
			h.Set("Vary", "Accept-Encoding")
			h.Set("Content-Encoding", "identity")
			h.Set("Etag", `"0123456789abcdef01234567"`)
		}
		w.Write(body)
	})
	log.Fatal(http.ListenAndServe(*addr, nil))
}
