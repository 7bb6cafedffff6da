package controller_test

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

// Colours as the browser paints them on the white page.
var (
	// The lines' stroke colours.
	paintDesired  = [3]int{0xd5, 0x5e, 0x00}
	paintProposed = [3]int{0xcc, 0x79, 0xa7}
	paintDemand   = [3]int{0x00, 0x72, 0xb2}
	// A guard band: #e69f00 at 28% opacity; a blind one: #d1242f at 22%.
	paintBand      = [3]int{248, 228, 184}
	paintBlindBand = [3]int{245, 207, 209}
	// A guarded row of the table: the stylesheet's --guard-bg, which only
	// shows when the inline style passed the Content-Security-Policy.
	paintGuardRow = [3]int{0xff, 0xf8, 0xc5}
)

// The target's page, opened in a real browser through HTTP with its
// security headers, shows the chart with its lines and the guard's band,
// and the table of decisions styled by its stylesheet; on a phone's width
// the same.
func TestPageInBrowser(t *testing.T) {
	browser := browsertest.Find(t)
	p, _ := newTestPage(t)
	srv := httptest.NewServer(p)
	defer srv.Close()

	dom := browsertest.Run(t, browser, srv.URL+"/decisions/web", "--dump-dom")
	for _, want := range []struct{ name, pattern string }{
		{"the capacity chart", `<svg class="chart capacity"`},
		{"the current line", `<path class="line current" d="M`},
		{"the desired line", `<path class="line desired" d="M`},
		{"the proposed policy's line", `<path class="line proposed" d="M`},
		{"the demand line", `<path class="line demand" d="M`},
		{"a guard band", `<rect class="band"[^>]*><title>ScaleInDeferred from`},
		{"a deferral in the table", `<code>ScaleInDeferred</code></td><td class="msg">scheduled action "night-savings"`},
	} {
		if !regexp.MustCompile(want.pattern).MatchString(dom) {
			t.Errorf("%s: the browser's DOM has no %s", want.name, want.pattern)
		}
	}
	_, table, _ := strings.Cut(dom, `<table class="decisions">`)
	if rows := strings.Count(table, "<tr"); rows != 501 {
		t.Errorf("the table has %d rows, want a header and 500 decisions", rows)
	}

	// Hostile text stays text in the browser too.
	dom = browsertest.Run(t, browser, srv.URL+"/decisions/evil", "--dump-dom")
	if strings.Contains(dom, "<script") || strings.Contains(dom, "<img") || !strings.Contains(dom, "cpu &lt;script&gt;alert(\"pwned\")&lt;/script&gt; under target") {
		t.Errorf("the hostile reason is not shown as text:\n%s", dom)
	}

	// Thresholds are a fraction of what Chromium paints: lines drawn a
	// third as wide on a phone antialias to fewer pure pixels.
	for _, size := range []struct {
		name          string
		width, height int
		want          []browsertest.Paint
	}{
		{"desktop", 1280, 1400, []browsertest.Paint{
			{Name: "desired line", Colour: paintDesired, Least: 150},
			{Name: "proposed policy's line", Colour: paintProposed, Least: 100},
			{Name: "demand line", Colour: paintDemand, Least: 200},
			{Name: "guard band", Colour: paintBand, Least: 2000},
			{Name: "blind band", Colour: paintBlindBand, Least: 1000},
			{Name: "guarded table rows", Colour: paintGuardRow, Least: 20000},
		}},
		{"phone", 390, 1600, []browsertest.Paint{
			{Name: "desired line", Colour: paintDesired, Least: 10},
			{Name: "proposed policy's line", Colour: paintProposed, Least: 10},
			{Name: "demand line", Colour: paintDemand, Least: 20},
			{Name: "guard band", Colour: paintBand, Least: 500},
			{Name: "blind band", Colour: paintBlindBand, Least: 200},
			{Name: "guarded table rows", Colour: paintGuardRow, Least: 20000},
		}},
	} {
		t.Run(size.name, func(t *testing.T) {
			img := browsertest.Screenshot(t, browser, srv.URL+"/decisions/web", "decisions-page-"+size.name, size.width, size.height)
			browsertest.ExpectPaint(t, img, size.want)
		})
	}
	img := browsertest.Screenshot(t, browser, srv.URL+"/", "decisions-index", 1280, 700)
	if n := pixels(img, [3]int{0xcf, 0x22, 0x2e}); n < 100 {
		t.Errorf("the index shows no alert badge: %d red pixels", n)
	}
}
