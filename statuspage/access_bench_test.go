package statuspage_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/headroomhq/headroom/statuspage"
)

// BenchmarkServeAudience measures a request to the benchmark page with
// its first group's five components private: the public answer, and the
// private one by bearer token and by cookie (a SHA-256 and a compare per
// configured token more than a public page's lookup). "public-page" is
// the same page with no private part, for comparison.
func BenchmarkServeAudience(b *testing.B) {
	snap := bigSnapshot()
	var private []string
	for _, c := range snap.Components[:5] {
		private = append(private, c.ID)
	}
	plain := statuspage.New()
	plain.Publish(snap)
	split := statuspage.New()
	split.Access = statuspage.Access{PrivateComponents: private, TokenHashes: [][]byte{statuspage.HashViewerToken(viewerToken)}}
	split.Publish(snap)
	for _, c := range []struct {
		name   string
		h      http.Handler
		header []string
	}{
		{"public-page", plain, nil},
		{"public", split, nil},
		{"private-bearer", split, []string{"Authorization", "Bearer " + viewerToken}},
		{"private-cookie", split, []string{"Cookie", statuspage.ViewerCookie + "=" + viewerToken}},
	} {
		b.Run(c.name, func(b *testing.B) {
			r := httptest.NewRequest("GET", "/", nil)
			r.Header.Set("Accept-Encoding", "gzip")
			for i := 0; i+1 < len(c.header); i += 2 {
				r.Header.Set(c.header[i], c.header[i+1])
			}
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
