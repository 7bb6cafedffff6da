// Command fixedserver is the ceiling of bench/statuspage.sh: the least a Go
// HTTP server can do, a fixed 5 KB body, so the status page's requests/s
// can be reported as a share of what this machine serves at all.
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
	flag.Parse()
	body := bytes.Repeat([]byte("headroom "), 5*1024/9+1)[:5*1024]
	length := strconv.Itoa(len(body))
	http.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Content-Length", length)
		w.Write(body)
	})
	log.Fatal(http.ListenAndServe(*addr, nil))
}
