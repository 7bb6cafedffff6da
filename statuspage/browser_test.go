package statuspage_test

import (
	"image"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/headroomhq/headroom/internal/browsertest"
)

// pixels counts the pixels of img within 6 of colour in each channel.
func pixels(img image.Image, colour [3]int) int { return browsertest.Pixels(img, colour, 6) }

func close6(a, b int) bool { return a-b <= 6 && b-a <= 6 }

// solid counts the pixels of colour whose eight neighbours are of it too:
// the inside of painted boxes, not antialiased text that happens to pass
// through the colour.
func solid(img image.Image, colour [3]int) int {
	is := func(x, y int) bool {
		r, g, b, _ := img.At(x, y).RGBA()
		return close6(int(r>>8), colour[0]) && close6(int(g>>8), colour[1]) && close6(int(b>>8), colour[2])
	}
	n := 0
	bounds := img.Bounds()
	for y := bounds.Min.Y + 1; y < bounds.Max.Y-1; y++ {
	next:
		for x := bounds.Min.X + 1; x < bounds.Max.X-1; x++ {
			for dy := -1; dy <= 1; dy++ {
				for dx := -1; dx <= 1; dx++ {
					if !is(x+dx, y+dy) {
						continue next
					}
				}
			}
			n++
		}
	}
	return n
}

// Colours of the stylesheet, as the browser paints them; they only show
// when the inline style passed the Content-Security-Policy.
var (
	paintGreen  = [3]int{0x2f, 0xcc, 0x66} // days without downtime
	paintYellow = [3]int{0xf1, 0xc4, 0x0f} // a little downtime
	paintRed    = [3]int{0xe7, 0x4c, 0x3c} // hours of downtime
	paintGrey   = [3]int{0xb3, 0xba, 0xc5} // days before a component existed
	// The fills under white text, darker for its contrast: the banner of
	// a major outage and the card of a major incident, a maintenance's
	// card.
	paintFillOrange = [3]int{0xb4, 0x53, 0x0b}
	paintFillBlue   = [3]int{0x1d, 0x6f, 0xa5}
)

// The status page and the seed's incident report, opened in a real browser
// through HTTP with their security headers: what a person sees is the
// banner, the components with their uptime bars in their colours, the
// incident and its updates, on a desktop's width and a phone's.
func TestPagesInBrowser(t *testing.T) {
	chrome := browsertest.Find(t)
	status := httptest.NewServer(published(t, fixture()))
	defer status.Close()
	seed := httptest.NewServer(published(t, seedSnapshot(t)))
	defer seed.Close()

	dom := browsertest.Run(t, chrome, status.URL+"/", "--dump-dom")
	for _, want := range []struct{ name, pattern string }{
		{"the banner", `<div class="banner indicator-major" role="status"><span>Partial System Outage</span></div>`},
		{"the active incident", `<h2 class="card-title"><a href="incidents/incactive001">Elevated API error rates</a></h2>`},
		{"the maintenance in progress", `<article class="card impact-maintenance">\s*<h2 class="card-title"><a href="incidents/mntactive001">Build cluster upgrade</a>`},
		{"a group", `<details class="group" open="">\s*<summary><span class="name">Core</span> <span class="status status-partial_outage">Partial Outage</span></summary>`},
		{"an uptime legend", `99\.73 % uptime`},
	} {
		if !regexp.MustCompile(want.pattern).MatchString(dom) {
			t.Errorf("%s: the browser's DOM has no %s", want.name, want.pattern)
		}
	}
	if n := len(regexp.MustCompile(`<i(?: class="[a-z]+")?(?: data-t="[^"<>]+")?></i>`).FindAllString(dom, -1)); n != 5*90 {
		t.Errorf("the DOM has %d uptime bars, want 90 for each of 5 components", n)
	}

	dom = browsertest.Run(t, chrome, seed.URL+"/incidents/"+seedIncidentID, "--dump-dom")
	var order []int
	for _, want := range []string{
		`<h1 class="incident-name impact-major">` + seedTitle + `</h1>`,
		`<p class="subheader">Incident Report for Atlassian Bitbucket</p>`,
		`<h2>Postmortem</h2>`,
		`<h2>Resolved</h2>`, `<small>Posted Jun 30, 2021 - 17:53 UTC</small>`,
		`<h2>Monitoring</h2>`, `<h2>Identified</h2>`,
		`<h2>Investigating</h2>`, `<small>Posted Jun 30, 2021 - 17:16 UTC</small>`,
		seedAffected,
	} {
		i := strings.Index(dom, want)
		if i < 0 {
			t.Errorf("the seed's report has no %s", want)
		}
		order = append(order, i)
	}
	for i := 1; i < len(order); i++ {
		if order[i] < order[i-1] {
			t.Errorf("the seed's report is out of order: element %d before %d", i, i-1)
		}
	}

	// Thresholds are a fraction of what Chromium paints: a bar is ~7 px
	// wide on a desktop, ~11 on a phone, where only the last 30 days show.
	for _, size := range []struct {
		name          string
		width, height int
		want          []browsertest.Paint
	}{
		{"desktop", 1280, 1500, []browsertest.Paint{
			{Name: "banner and the major incident's card", Colour: paintFillOrange, Least: 40000},
			{Name: "days without downtime", Colour: paintGreen, Least: 60000},
			{Name: "days with a little downtime", Colour: paintYellow, Least: 400},
			{Name: "a day of hours of downtime", Colour: paintRed, Least: 150},
			{Name: "days before Deployments existed", Colour: paintGrey, Least: 10000},
			{Name: "the maintenance's card", Colour: paintFillBlue, Least: 10000},
		}},
		{"phone", 390, 2200, []browsertest.Paint{
			{Name: "banner and the major incident's card", Colour: paintFillOrange, Least: 15000},
			{Name: "days without downtime", Colour: paintGreen, Least: 30000},
			{Name: "days with a little downtime", Colour: paintYellow, Least: 150},
			{Name: "a day of hours of downtime", Colour: paintRed, Least: 150},
			{Name: "the maintenance's card", Colour: paintFillBlue, Least: 4000},
		}},
	} {
		t.Run(size.name, func(t *testing.T) {
			img := browsertest.Screenshot(t, chrome, status.URL+"/", "status-page-"+size.name, size.width, size.height)
			browsertest.ExpectPaint(t, img, size.want)
			if size.name == "phone" {
				// 30 bars: the grey days, 41 to 89 days back, are hidden.
				if n := solid(img, paintGrey); n > 0 {
					t.Errorf("the phone shows %d pixels of days older than 30", n)
				}
			}
			img = browsertest.Screenshot(t, chrome, seed.URL+"/incidents/"+seedIncidentID, "seed-incident-"+size.name, size.width, size.height)
			// The title in the major impact's colour: text, so antialiased,
			// but its strokes have pure pixels.
			if n := pixels(img, [3]int{0xb0, 0x50, 0x0a}); n < 50 {
				t.Errorf("the seed's title: %d pixels of the major impact's colour", n)
			}
		})
	}
	browsertest.Screenshot(t, chrome, seed.URL+"/", "seed-status-page-desktop", 1280, 1100)
	browsertest.Screenshot(t, chrome, status.URL+"/history", "history-desktop", 1280, 1000)
}
