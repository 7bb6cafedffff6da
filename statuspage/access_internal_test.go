package statuspage

import (
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/headroomhq/headroom/incident"
)

// Regression test for the public view coming back: PublishMetrics
// publishes the last snapshot the Handler rendered again, which on a page
// with private components is the public view; the private audience must
// still get the whole page.
func TestPublishThePublicViewAgain(t *testing.T) {
	now := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	snap := &incident.Snapshot{Page: incident.Page{ID: "p", Name: "Acme"}, Version: 3, BuiltAt: now, UpdatedAt: now,
		Components: []incident.Component{{ID: "web", Name: "Website", Status: incident.Operational},
			{ID: "ledger", Name: "Secret Ledger", Status: incident.MajorOutage}},
		Indicator: incident.IndicatorCritical}
	h := New()
	h.Access = Access{PrivateComponents: []string{"ledger"}, TokenHashes: [][]byte{HashViewerToken("tok")}}
	h.Publish(snap)
	h.Publish(h.shown.Load())
	// A collection of the public component's metric: both audiences'
	// sites show its chart.
	h.PublishMetrics(&MetricsSnapshot{CollectedAt: now, Metrics: []MetricData{{Metric: Metric{ID: "web-errors", ComponentID: "web",
		Name: "Website error ratio", Kind: MetricErrorRatio},
		Series: []MetricSeries{{Start: now.Add(-24 * time.Hour), End: now, Samples: []Sample{{At: now.Add(-time.Hour), V: 0.01}, {At: now, V: 0.02}}}}}}})
	for _, c := range []struct {
		auth string
		want bool
	}{{"", false}, {"Bearer tok", true}} {
		for _, path := range []string{"/api/v2/components.json", "/"} {
			r := httptest.NewRequest("GET", path, nil)
			if c.auth != "" {
				r.Header.Set("Authorization", c.auth)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			body := w.Body.String()
			if got := strings.Contains(body, "Secret Ledger"); got != c.want {
				t.Errorf("Authorization %q: %s shows the private component %v, want %v", c.auth, path, got, c.want)
			}
			if path == "/" && !strings.Contains(body, "Website error ratio") {
				t.Errorf("Authorization %q: / lacks the metric's chart", c.auth)
			}
		}
	}
}

// Regression test for a stale public view taking the whole snapshot's
// place: a PublishMetrics that read the last rendered view before a write
// published it after the write, and Publish took that older view for the
// whole page, so the next collection gave the private audience the public
// view (the private component gone) until the next write.
func TestPublishAStaleViewAfterAWrite(t *testing.T) {
	now := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	snap := &incident.Snapshot{Page: incident.Page{ID: "p", Name: "Acme"}, Version: 3, BuiltAt: now, UpdatedAt: now,
		Components: []incident.Component{{ID: "web", Name: "Website", Status: incident.Operational},
			{ID: "ledger", Name: "Secret Ledger", Status: incident.MajorOutage}},
		Indicator: incident.IndicatorCritical}
	h := New()
	h.Access = Access{PrivateComponents: []string{"ledger"}, TokenHashes: [][]byte{HashViewerToken("tok")}}
	h.Publish(snap)
	stale := h.shown.Load() // what a collection running now reads
	next := *snap
	next.Version = 4
	h.Publish(&next) // a write meanwhile
	h.Publish(stale) // the collection publishes what it read
	h.PublishMetrics(&MetricsSnapshot{CollectedAt: now, Metrics: []MetricData{{Metric: Metric{ID: "web-errors", ComponentID: "web",
		Name: "Website error ratio", Kind: MetricErrorRatio},
		Series: []MetricSeries{{Start: now.Add(-24 * time.Hour), End: now, Samples: []Sample{{At: now.Add(-time.Hour), V: 0.01}, {At: now, V: 0.02}}}}}}})
	for _, c := range []struct {
		auth string
		want bool
	}{{"", false}, {"Bearer tok", true}} {
		r := httptest.NewRequest("GET", "/api/v2/components.json", nil)
		if c.auth != "" {
			r.Header.Set("Authorization", c.auth)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if got := strings.Contains(w.Body.String(), "Secret Ledger"); got != c.want {
			t.Errorf("Authorization %q: the private component shown %v, want %v", c.auth, got, c.want)
		}
	}
}

// A viewer token has one cookie value: as it is when a cookie carries it
// so, encoded otherwise, and the encoding of a token carried as it is lets
// no one in.
func TestViewerCookieValue(t *testing.T) {
	for _, tt := range []struct{ token, cookie string }{
		{"hrv_abc-DEF_123", "hrv_abc-DEF_123"},
		{"semi;colon", "b64~c2VtaTtjb2xvbg"},
		{"two words", "b64~dHdvIHdvcmRz"},
	} {
		if got := cookieOfToken(tt.token); got != tt.cookie {
			t.Errorf("cookieOfToken(%q) = %q, want %q", tt.token, got, tt.cookie)
		}
		if got := tokenOfCookie(tt.cookie); tt.cookie != tt.token && got != tt.token {
			t.Errorf("tokenOfCookie(%q) = %q, want %q", tt.cookie, got, tt.token)
		}
	}
	if got := tokenOfCookie("b64~aHJ2X2FiYw"); got != "" {
		t.Errorf("tokenOfCookie of hrv_abc encoded = %q, want none: that token's cookie holds it as it is", got)
	}
}
