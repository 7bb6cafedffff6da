package statuspage

import (
	"bytes"
	"fmt"
	"html"
	"math"
	"net/url"
	"strconv"
	"unicode"

	"github.com/headroomhq/headroom/incident"
)

// The badges and the widget are small SVG images of the page's status that
// other sites embed with <img>: no script, no frame, so the pages keep
// frame-ancestors 'none'. Like every answer they are rendered once per
// snapshot and served by lookup:
//
//	/badge.svg                 status | operational
//	/badge/{component-id}.svg  Website | partial outage
//	/widget.svg                the page's name, its status and when it changed

const typeSVG = "image/svg+xml"

// The badges' fills under white text, each at least 4.5:1 with it (WCAG
// 2.2 1.4.3): the stylesheet's --fill-* colours; the label's is shields'
// grey (7.5:1).
const (
	fillLabel       = "#555"
	fillOperational = "#1a7f43"
	fillMinor       = "#8a6a00"
	fillMajor       = "#b4530b"
	fillCritical    = "#c0392b"
	fillMaintenance = "#1d6fa5"
)

var indicatorFill = map[incident.Indicator]string{
	incident.IndicatorNone:        fillOperational,
	incident.IndicatorMinor:       fillMinor,
	incident.IndicatorMajor:       fillMajor,
	incident.IndicatorCritical:    fillCritical,
	incident.IndicatorMaintenance: fillMaintenance,
}

var componentFill = map[incident.ComponentStatus]string{
	incident.Operational:         fillOperational,
	incident.DegradedPerformance: fillMinor,
	incident.PartialOutage:       fillMajor,
	incident.MajorOutage:         fillCritical,
	incident.UnderMaintenance:    fillMaintenance,
}

// renderBadges adds the page's badge, each component's and the widget.
func (h *Handler) renderBadges(m *model, out *rendered) {
	ind := m.snap.Indicator
	if _, ok := indicatorFill[ind]; !ok {
		ind = incident.IndicatorNone
	}
	out.pages["/badge.svg"] = doc{body: badgeSVG(m.lang.T("badge.label"), m.lang.T("badge."+string(ind)), indicatorFill[ind]), contentType: typeSVG}
	for i := range m.snap.Components {
		c := &m.snap.Components[i]
		status := c.Status
		if _, ok := componentFill[status]; !ok {
			status = incident.Operational
		}
		out.pages["/badge/"+url.PathEscape(c.ID)+".svg"] = doc{body: badgeSVG(c.Name, m.lang.T("component_lower."+string(status)), componentFill[status]), contentType: typeSVG}
	}
	out.pages["/widget.svg"] = doc{body: m.widgetSVG(ind), contentType: typeSVG}
}

// textWidth is s's width in pixels in the badges' 11 px font: measured for
// the Latin letters (charWidths), an em for the wide CJK ones, and an
// average letter's for the rest.
func textWidth(s string) float64 {
	w := 0
	for _, r := range s {
		switch x, ok := charWidths[r]; {
		case ok:
			w += int(x)
		case wide(r):
			w += 1100
		default:
			w += 700
		}
	}
	return float64(w) / 100
}

// wide says whether r takes a full em: Han, Hangul, the CJK punctuation
// and kana blocks, and the full-width forms.
func wide(r rune) bool {
	return unicode.In(r, unicode.Han, unicode.Hangul) ||
		(r >= 0x3000 && r <= 0x30ff) || (r >= 0xff00 && r <= 0xff60) // punctuation, kana (with ー), full-width forms
}

// badgeSVG draws shields.io's "flat" badge (https://shields.io/badges,
// style=flat): 20 px high, rounded 3 px, a grey label and a coloured
// message in white 11 px Verdana over a one-pixel shadow, each part 5 px
// wider than its text on both sides. It is an image with a name: role=img,
// aria-label and <title> say "label: message".
func badgeSVG(label, message, fill string) []byte {
	lt, mt := math.Ceil(textWidth(label)), math.Ceil(textWidth(message))
	lw, mw := lt+10, mt+10
	w := lw + mw
	name := html.EscapeString(label + ": " + message)
	num := func(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }
	var b bytes.Buffer
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%s" height="20" role="img" aria-label="%s"><title>%s</title>`, num(w), name, name)
	fmt.Fprintf(&b, `<linearGradient id="s" x2="0" y2="100%%"><stop offset="0" stop-color="#bbb" stop-opacity=".1"/><stop offset="1" stop-opacity=".1"/></linearGradient>`)
	fmt.Fprintf(&b, `<clipPath id="r"><rect width="%s" height="20" rx="3" fill="#fff"/></clipPath>`, num(w))
	fmt.Fprintf(&b, `<g clip-path="url(#r)"><rect width="%s" height="20" fill="%s"/><rect x="%s" width="%s" height="20" fill="%s"/><rect width="%s" height="20" fill="url(#s)"/></g>`,
		num(lw), fillLabel, num(lw), num(mw), fill, num(w))
	b.WriteString(`<g fill="#fff" text-anchor="middle" font-family="Verdana,Geneva,DejaVu Sans,sans-serif" text-rendering="geometricPrecision" font-size="11" aria-hidden="true">`)
	for _, part := range []struct {
		text  string
		x, tw float64
	}{{label, lw / 2, lt}, {message, lw + mw/2, mt}} {
		t := html.EscapeString(part.text)
		fmt.Fprintf(&b, `<text x="%s" y="15" fill="#010101" fill-opacity=".3" textLength="%s">%s</text><text x="%s" y="14" textLength="%s">%s</text>`,
			num(part.x), num(part.tw), t, num(part.x), num(part.tw), t)
	}
	b.WriteString(`</g></svg>`)
	return b.Bytes()
}

// Widget geometry: a card 320 × 72 px.
const (
	widgetWidth  = 320
	widgetHeight = 72
	widgetText   = widgetWidth - 2*16 // the text's room, 16 px in from each side
)

// widgetSVG is a card for other sites' pages: the page's name, a dot in
// the status's colour and its sentence, and when the page last changed,
// in the page's language and zone. Its colours are the page's light
// scheme, each text at least 4.5:1 on white.
func (m *model) widgetSVG(ind incident.Indicator) []byte {
	name := fit(m.pageName(), widgetText, 14.0/11)
	status := fit(m.banner(m.snap.Description), widgetText-16, 13.0/11)
	var updated string
	if !m.snap.UpdatedAt.IsZero() {
		updated = fit(m.lang.T("widget.updated", m.short(m.snap.UpdatedAt)), widgetText, 12.0/11)
	}
	label := html.EscapeString(m.lang.T("widget.label", m.pageName(), m.banner(m.snap.Description)))
	var b bytes.Buffer
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" role="img" aria-label="%s"><title>%s</title>`,
		widgetWidth, widgetHeight, widgetWidth, widgetHeight, label, label)
	fmt.Fprintf(&b, `<rect x=".5" y=".5" width="%d" height="%d" rx="6" fill="#fff" stroke="#d0d5db"/>`, widgetWidth-1, widgetHeight-1)
	b.WriteString(`<g font-family="system-ui,-apple-system,Segoe UI,Roboto,Helvetica Neue,Arial,DejaVu Sans,sans-serif" aria-hidden="true">`)
	fmt.Fprintf(&b, `<text x="16" y="24" font-size="14" font-weight="700" fill="#2e3338">%s</text>`, html.EscapeString(name))
	fmt.Fprintf(&b, `<circle cx="21" cy="40" r="5" fill="%s"/><text x="32" y="44.5" font-size="13" fill="%s">%s</text>`,
		indicatorFill[ind], indicatorFill[ind], html.EscapeString(status))
	if updated != "" {
		fmt.Fprintf(&b, `<text x="16" y="62" font-size="12" fill="#5f6670">%s</text>`, html.EscapeString(updated))
	}
	b.WriteString(`</g></svg>`)
	return b.Bytes()
}

// fit shortens s with an ellipsis to fit width pixels in a font scale
// times the badges' 11 px.
func fit(s string, width, scale float64) string {
	if textWidth(s)*scale <= width {
		return s
	}
	r := []rune(s)
	for len(r) > 0 && textWidth(string(r)+"…")*scale > width {
		r = r[:len(r)-1]
	}
	return string(r) + "…"
}
