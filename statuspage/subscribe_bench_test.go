package statuspage_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/headroomhq/headroom/statuspage"
	"github.com/headroomhq/headroom/store/memory"
)

// BenchmarkServeSubscriptions measures what the subscription pages in
// front of the page cost a request: "page" is / served by the Handler
// alone, "page-behind" the same through Subscriptions (serve's site), and
// "subscribe" the pre-rendered form itself.
func BenchmarkServeSubscriptions(b *testing.B) {
	h := statuspage.New()
	s := &statuspage.Subscriptions{Next: h, Store: &memory.Incidents{}, Enabled: true}
	s.Publish(bigSnapshot())
	for _, c := range []struct {
		name, path string
		h          http.Handler
	}{
		{"page", "/", h},
		{"page-behind", "/", s},
		{"subscribe", "/subscribe", s},
	} {
		b.Run(c.name, func(b *testing.B) {
			r := httptest.NewRequest("GET", c.path, nil)
			r.Header.Set("Accept-Encoding", "gzip")
			w := &discard{h: http.Header{}}
			c.h.ServeHTTP(w, r)
			b.SetBytes(int64(w.n))
			b.ReportAllocs()
			for b.Loop() {
				clear(w.h)
				c.h.ServeHTTP(w, r)
			}
		})
	}
}
