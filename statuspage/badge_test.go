package statuspage_test

import (
	"encoding/xml"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/headroomhq/headroom/incident"
	"github.com/headroomhq/headroom/internal/browsertest"
	"github.com/headroomhq/headroom/statuspage"
)

// svgImage is what a badge or the widget must be: well-formed SVG, an
// image with a name.
type svgImage struct {
	XMLName   xml.Name `xml:"svg"`
	Width     string   `xml:"width,attr"`
	Role      string   `xml:"role,attr"`
	AriaLabel string   `xml:"aria-label,attr"`
	Title     string   `xml:"title"`
	Rects     []struct {
		X     string `xml:"x,attr"`
		Width string `xml:"width,attr"`
		Fill  string `xml:"fill,attr"`
	} `xml:"g>rect"`
	Texts []string `xml:"g>text"`
}

func getSVG(t *testing.T, h http.Handler, path string) svgImage {
	t.Helper()
	res, body := get(t, h, "GET", path)
	if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "image/svg+xml" || res.Header.Get("Etag") == "" {
		t.Fatalf("%s: %d %q, ETag %q", path, res.StatusCode, res.Header.Get("Content-Type"), res.Header.Get("Etag"))
	}
	var img svgImage
	if err := xml.Unmarshal([]byte(body), &img); err != nil {
		t.Fatalf("%s is not well-formed SVG: %v\n%s", path, err, body)
	}
	if img.Role != "img" || img.AriaLabel == "" || img.Title != img.AriaLabel {
		t.Errorf("%s: role %q, aria-label %q, title %q: want an image named by both", path, img.Role, img.AriaLabel, img.Title)
	}
	return img
}

func TestBadge(t *testing.T) {
	snap := fixture()
	h := published(t, snap)
	for _, tc := range []struct {
		name, path, label, fill string
	}{
		{"the page: a major indicator", "/badge.svg", "status: partial outage", "#b4530b"},
		{"a component with a partial outage", "/badge/cmpapi000001.svg", "API: partial outage", "#b4530b"},
		{"a degraded component", "/badge/cmpweb000001.svg", "Website: degraded performance", "#8a6a00"},
		{"an operational component", "/badge/cmpssh000001.svg", "Git via SSH: operational", "#1a7f43"},
		{"a component under maintenance", "/badge/cmpbld000001.svg", "Builds: under maintenance", "#1d6fa5"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			img := getSVG(t, h, tc.path)
			if img.AriaLabel != tc.label {
				t.Errorf("named %q, want %q", img.AriaLabel, tc.label)
			}
			label, message, _ := strings.Cut(tc.label, ": ")
			// Two texts per part: the shadow, then the text.
			if len(img.Texts) != 4 || img.Texts[1] != label || img.Texts[3] != message {
				t.Errorf("texts %q, want the label %q and the message %q", img.Texts, label, message)
			}
			if len(img.Rects) != 3 || img.Rects[0].Fill != "#555" || img.Rects[1].Fill != tc.fill {
				t.Fatalf("parts %+v, want a grey label and a %s message", img.Rects, tc.fill)
			}
			// The parts fill the badge, each wider than its text.
			lw, _ := strconv.ParseFloat(img.Rects[0].Width, 64)
			mw, _ := strconv.ParseFloat(img.Rects[1].Width, 64)
			w, _ := strconv.ParseFloat(img.Width, 64)
			if lw+mw != w || img.Rects[1].X != img.Rects[0].Width {
				t.Errorf("label %v + message %v at x=%s, badge %v wide", lw, mw, img.Rects[1].X, w)
			}
			if lw < 7*float64(len(label))-10 || mw < 6*float64(len(message)) {
				t.Errorf("label %v px for %q, message %v px for %q: narrower than the text", lw, label, mw, message)
			}
		})
	}
	if res, _ := get(t, h, "GET", "/badge/nosuchcomponent.svg"); res.StatusCode != http.StatusNotFound {
		t.Errorf("an unknown component's badge: %d, want 404", res.StatusCode)
	}

	// Resolved: the next snapshot's badge is green and says so.
	snap = fixture()
	snap.Version++
	snap.Indicator, snap.Description = incident.IndicatorNone, incident.DescriptionOperational
	h.Publish(snap)
	if img := getSVG(t, h, "/badge.svg"); img.AriaLabel != "status: operational" || img.Rects[1].Fill != "#1a7f43" {
		t.Errorf("after the resolution: %q in %s", img.AriaLabel, img.Rects[1].Fill)
	}
}

// A badge is as wide as its text: a wide word makes a wide badge, and
// Japanese text is measured by the em.
func TestBadgeWidth(t *testing.T) {
	width := func(h http.Handler, path string) float64 {
		img := getSVG(t, h, path)
		w, err := strconv.ParseFloat(img.Width, 64)
		if err != nil {
			t.Fatal(err)
		}
		return w
	}
	snap := fixture()
	snap.Components[2].Name = "iiiiiiii"
	snap.Components[3].Name = "WWWWWWWW"
	h := published(t, snap)
	narrow, broad := width(h, "/badge/cmpssh000001.svg"), width(h, "/badge/cmpbld000001.svg")
	if broad-narrow < 50 {
		t.Errorf("eight W make a badge %v px wider than eight i, want over 50", broad-narrow)
	}
	ja := statuspage.New()
	ja.Language = "ja"
	ja.Publish(fixture())
	img := getSVG(t, ja, "/badge.svg")
	if img.AriaLabel != "ステータス: 部分的な障害" {
		t.Errorf("the Japanese badge says %q", img.AriaLabel)
	}
	// 5 characters of label and 6 of message, an em (11 px) each, and 10 px
	// of padding for each part.
	if w := width(ja, "/badge.svg"); w != 5*11+10+6*11+10 {
		t.Errorf("the Japanese badge is %v px wide, want %v", w, 5*11+10+6*11+10)
	}
}

func TestWidget(t *testing.T) {
	for _, tc := range []struct {
		lang, name string
		want       []string
	}{
		{"en", "Acme", []string{"Acme", "Partial System Outage", "Updated Jul 8, 11:40 UTC"}},
		{"de", "Acme", []string{"Acme", "Teilweiser Systemausfall", "Aktualisiert am 8. Juli, 11:40 UTC"}},
		{"en", strings.Repeat("A very long page name ", 5), []string{"A very long page name A very long", "…", "Partial System Outage"}},
	} {
		t.Run(tc.lang, func(t *testing.T) {
			snap := fixture()
			snap.Page.Name = tc.name
			h := statuspage.New()
			h.Language = tc.lang
			h.Publish(snap)
			img := getSVG(t, h, "/widget.svg")
			got := strings.Join(img.Texts, " | ")
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Errorf("the widget says %q, want %q in it", got, w)
				}
			}
			if !strings.HasPrefix(img.AriaLabel, strings.TrimSpace(tc.name)) {
				t.Errorf("the widget is named %q", img.AriaLabel)
			}
		})
	}
}

// A real browser draws the badge and the widget: the colours show where
// the SVG puts them, and the page's CSP does not stop an image.
func TestBadgeInBrowser(t *testing.T) {
	chrome := browsertest.Find(t)
	srv := httptest.NewServer(published(t, fixture()))
	defer srv.Close()
	img := browsertest.Screenshot(t, chrome, srv.URL+"/badge.svg", "badge", 200, 40)
	browsertest.ExpectPaint(t, img, []browsertest.Paint{
		{Name: "the label's grey", Colour: [3]int{0x5a, 0x5a, 0x5a}, Least: 300},
		{Name: "the message's orange", Colour: [3]int{0xb8, 0x5b, 0x17}, Least: 200},
	})
	img = browsertest.Screenshot(t, chrome, srv.URL+"/widget.svg", "widget", 400, 200)
	browsertest.ExpectPaint(t, img, []browsertest.Paint{
		{Name: "the status's dot", Colour: [3]int{0xb4, 0x53, 0x0b}, Least: 30},
	})
}
