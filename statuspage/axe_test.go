package statuspage_test

import (
	"net/http/httptest"
	"testing"

	"github.com/headroomhq/headroom/internal/browsertest"
	"github.com/headroomhq/headroom/statuspage"
	"github.com/headroomhq/headroom/store/memory"
)

// axePages are a page of each kind the status page serves, with the name
// its screenshot is kept under.
var axePages = []struct{ name, path string }{
	{"index", "/"},
	{"incident", "/incidents/incpostm0001"},
	{"incident-active", "/incidents/incactive001"},
	{"maintenance", "/incidents/mntactive001"},
	{"history", "/history"},
	{"system-metrics", "/system-metrics/week"},
	{"subscribe", "/subscribe"},
	{"subscribe-confirm", "/subscribe/confirm?token=nosuchtoken"},
	{"not-found", "/no/such/page"},
}

// Every page kind (the status page with its system metrics), in both
// colour schemes and in two languages, has no
// violation of WCAG 2.2 A and AA that axe-core finds, run in a real
// headless Chromium.
func TestAccessibility(t *testing.T) {
	chrome := browsertest.Find(t)
	axe := browsertest.OpenAxe(t, chrome)
	for _, lang := range []string{"en", "ja"} {
		h := statuspage.New()
		h.Language = lang
		s := &statuspage.Subscriptions{Next: h, Store: &memory.Incidents{}, Enabled: true}
		s.Publish(fixture())
		h.PublishMetrics(collected(t, &fakeRanges{value: rampRatio})) // the index's charts, and their pages
		srv := httptest.NewServer(s)
		t.Cleanup(srv.Close)
		for _, p := range axePages {
			for _, scheme := range []string{"light", "dark"} {
				t.Run(lang+"/"+p.name+"/"+scheme, func(t *testing.T) {
					res := axe.Check(srv.URL+p.path, scheme, 1280, 900, browsertest.WCAG22AA)
					t.Logf("axe-core %s: %d violations, %d rules passed, %d to review by a person %v", res.Version, len(res.Violations), res.Passes, res.Incomplete, res.NeedsReview)
					for _, v := range res.Violations {
						t.Errorf("%s", v)
					}
					if res.Passes == 0 {
						t.Error("no rule passed: axe-core did not run")
					}
				})
				// A screenshot of each page kind in each scheme, and of
				// the Japanese status page.
				switch {
				case lang == "en":
					axe.Screenshot(srv.URL+p.path, scheme, "status-"+p.name+"-"+scheme, 1280, 1400)
				case p.name == "index":
					axe.Screenshot(srv.URL+p.path, scheme, "status-"+lang+"-"+p.name+"-"+scheme, 1280, 1400)
				}
			}
		}
	}
}
