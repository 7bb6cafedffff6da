package statuspage_test

import (
	"encoding/xml"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/headroomhq/headroom/statuspage"
	"golang.org/x/net/html"
)

// hostile are incident bodies written to run script, load from elsewhere,
// restyle or take over the page.
var hostile = []struct{ name, markdown string }{
	{"script element", `<script>alert(1)</script>`},
	{"script split by nesting", `<<script>script>alert(1)<</script>/script>`},
	{"image with onerror", `<img src=x onerror=alert(1)>`},
	{"svg onload", `<svg onload=alert(1)><circle r=10 /></svg>`},
	{"javascript: link", `[click](javascript:alert(1))`},
	{"javascript: link, mixed case", `[click](JaVaScRiPt:alert(1))`},
	{"javascript: link, entity", `[click](&#106;avascript:alert(1))`},
	{"javascript: link, hex entity in HTML", `<a href="&#x6A;avascript:alert(1)">click</a>`},
	{"javascript: link, tab inside", "[click](java\tscript:alert(1))"},
	{"javascript: autolink", `<javascript:alert(1)>`},
	{"javascript: reference link", "[click][x]\n\n[x]: javascript:alert(1)"},
	{"raw HTML link", `<a href="javascript:alert(1)">click</a>`},
	{"onclick on a good link", `<a href="https://ok.example" onclick="alert(1)">ok</a>`},
	{"vbscript: link", `[click](vbscript:msgbox(1))`},
	{"data: HTML link", `[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)`},
	{"data: SVG image", `![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)`},
	{"remote image (a tracking pixel)", `![x](https://evil.example/pixel.gif)`},
	{"style element", `<style>body{display:none}</style>`},
	{"style attribute", `<div style="background:url(javascript:alert(1))">x</div>`},
	{"overlay by style", `<span style="position:fixed;top:0;left:0;width:100%;height:100%;background:red">pay here</span>`},
	{"stylesheet link", `<link rel="stylesheet" href="https://evil.example/x.css">`},
	{"iframe", `<iframe src="https://evil.example"></iframe>`},
	{"iframe srcdoc", `<iframe srcdoc="<script>alert(1)</script>"></iframe>`},
	{"object", `<object data="https://evil.example/x.swf"></object>`},
	{"embed", `<embed src="https://evil.example/x.swf">`},
	{"form", `<form action="https://evil.example"><input name="password"><button formaction="javascript:alert(1)">go</button></form>`},
	{"base", `<base href="https://evil.example/">`},
	{"meta refresh", `<meta http-equiv="refresh" content="0;url=https://evil.example">`},
	{"math xlink", `<math><mi xlink:href="javascript:alert(1)">x</mi></math>`},
	{"attribute breaking out", `<p title="</p><script>alert(1)</script>">x</p>`},
	{"HTML comment", `<!-- <script>alert(1)</script> -->`},
	{"code block", "```html\n<script>alert(1)</script>\n```"},
	{"inline code", "`<img src=x onerror=alert(1)>`"},
	{"table cell", "| a |\n|---|\n| <img src=x onerror=alert(1)> |"},
}

// forbidden are elements no part of the page may hold once rendered: the
// template's own link, meta and style are in head, checked apart.
var forbidden = map[string]bool{"script": true, "iframe": true, "frame": true, "frameset": true, "object": true, "embed": true,
	"img": true, "svg": true, "math": true, "form": true, "input": true, "button": true, "textarea": true, "select": true,
	"base": true, "video": true, "audio": true, "source": true, "link": true, "meta": true, "style": true, "template": true}

// checkInert fails when the HTML of a page (or a fragment: a feed's
// content) holds markup that runs, loads, restyles or submits.
func checkInert(t *testing.T, where, doc string) {
	t.Helper()
	root, err := html.Parse(strings.NewReader(doc))
	if err != nil {
		t.Fatalf("%s: %v", where, err)
	}
	var walk func(n *html.Node, inHead bool)
	walk = func(n *html.Node, inHead bool) {
		if n.Type == html.ElementNode {
			if n.Data == "head" {
				inHead = true
			}
			ours := inHead && (n.Data == "meta" || n.Data == "link" || n.Data == "style" || n.Data == "title")
			if forbidden[n.Data] && !ours {
				t.Errorf("%s: a <%s> element: %s", where, n.Data, render(n))
			}
			for _, a := range n.Attr {
				key, val := strings.ToLower(a.Key), strings.ToLower(a.Val)
				switch {
				case strings.HasPrefix(key, "on"):
					t.Errorf("%s: an event handler %s=%q on <%s>", where, a.Key, a.Val, n.Data)
				case key == "style" || key == "src" || key == "srcdoc" || key == "action" || key == "formaction" ||
					key == "background" || key == "data" || strings.Contains(key, "href") && key != "href":
					t.Errorf("%s: attribute %s=%q on <%s>", where, a.Key, a.Val, n.Data)
				case key == "href":
					checkHref(t, where, n, a.Val, ours)
				}
				if strings.Contains(val, "javascript:") || strings.Contains(val, "vbscript:") || strings.Contains(val, "data:text") {
					t.Errorf("%s: a script URL in %s=%q on <%s>", where, a.Key, a.Val, n.Data)
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c, inHead)
		}
	}
	walk(root, false)
}

// checkHref accepts links to http, https and mailto, and relative ones;
// the head's own icon is data:, empty.
func checkHref(t *testing.T, where string, n *html.Node, href string, ours bool) {
	t.Helper()
	if ours && href == "data:," {
		return
	}
	u, err := url.Parse(href)
	if err != nil {
		t.Errorf("%s: an unparseable href %q", where, href)
		return
	}
	switch strings.ToLower(u.Scheme) {
	case "", "http", "https", "mailto":
	default:
		t.Errorf("%s: a link to %q on <%s>", where, href, n.Data)
	}
	if n.Data == "a" && u.Scheme != "" && !strings.Contains(attr(n, "rel"), "nofollow") && !strings.HasPrefix(href, "https://status.acme.test") {
		t.Errorf("%s: a link out, %q, without rel=nofollow", where, href)
	}
}

// Hostile Markdown in update bodies and postmortems, and markup in every
// name, render as inert text on every page and in the feeds: nothing
// runs, loads, restyles or submits.
func TestHostileMarkdown(t *testing.T) {
	for _, c := range hostile {
		t.Run(c.name, func(t *testing.T) {
			snap := fixture()
			snap.Incidents[0].Updates[0].Body = c.markdown
			snap.Incidents[3].Updates[0].Body = c.markdown
			snap.Incidents[3].PostmortemBody = "## Root cause\n\n" + c.markdown
			h := published(t, snap)
			for _, path := range []string{"/", "/incidents/incactive001", "/incidents/incpostm0001", "/history"} {
				_, body := get(t, h, "GET", path)
				checkInert(t, path, body)
			}
			for _, entry := range atomEntries(t, h) {
				checkInert(t, "/history.atom entry "+entry.Title, entry.Content)
			}
		})
	}
}

// Markup in names is shown as the text it is.
func TestHostileNames(t *testing.T) {
	const evil = `<script>alert("pwned")</script><img src=x onerror=alert(1)>`
	snap := fixture()
	snap.Page.Name = "Acme " + evil
	snap.Incidents[0].Name = "Outage " + evil
	snap.Components[0].Name = "Website " + evil
	snap.Components[0].Description = `" onmouseover="alert(1)`
	snap.Groups[0].Name = "Core " + evil
	snap.Incidents[0].Updates[0].Affected[0].Name = evil
	h := published(t, snap)
	for _, path := range []string{"/", "/incidents/incactive001", "/history", "/incidents/nosuchthing1"} {
		_, body := get(t, h, "GET", path)
		checkInert(t, path, body)
	}
	_, body := get(t, h, "GET", "/incidents/incactive001")
	got := text(t, body, hasClass("report"))
	if got[0] != "Outage "+evil || got[1] != "Incident Report for Acme "+evil {
		t.Errorf("the names are not shown as text: %q", got[:2])
	}
	if last := got[len(got)-1]; last != "This incident affected: Core "+evil+" (Website "+evil+", API)." {
		t.Errorf("affected: %q", last)
	}
	for _, entry := range atomEntries(t, h) {
		checkInert(t, "/history.atom entry "+entry.Title, entry.Content)
	}
}

// What Markdown is for survives the sanitizer: emphasis, lists, code,
// quotes, tables, links (marked nofollow, sending no referrer).
func TestMarkdown(t *testing.T) {
	snap := fixture()
	snap.Incidents[0].Updates[0].Body = "We **rolled back** the _gateway_.\nSecond line.\n\n" +
		"- one\n- two\n\n1. first\n2. second\n\n> quoted\n\n`code` and\n\n```\nblock\n```\n\n" +
		"| a | b |\n|:--|--:|\n| 1 | 2 |\n\n~~old~~ [status](https://example.com/status?a=1&b=2), https://example.com/bare, <ops@example.com>"
	h := published(t, snap)
	_, body := get(t, h, "GET", "/incidents/incactive001")
	for _, want := range []string{
		"<strong>rolled back</strong>", "<em>gateway</em>", "the <em>gateway</em>.<br>\nSecond line.",
		"<ul>\n<li>one</li>", "<ol>\n<li>first</li>", "<blockquote>\n<p>quoted</p>", "<code>code</code>", "<pre><code>block\n</code></pre>",
		`<th align="left">a</th>`, `<td align="right">2</td>`, "<del>old</del>",
		`<a href="https://example.com/status?a=1&amp;b=2" rel="nofollow noreferrer">status</a>`,
		`<a href="https://example.com/bare" rel="nofollow noreferrer">https://example.com/bare</a>`,
		`<a href="mailto:ops@example.com" rel="nofollow noreferrer">ops@example.com</a>`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("the rendered body lacks %s", want)
		}
	}
	checkInert(t, "Markdown", body)
}

type atomEntry struct {
	Title   string `xml:"title"`
	Content string `xml:"content"`
}

func atomEntries(t *testing.T, h http.Handler) []atomEntry {
	t.Helper()
	_, body := get(t, h, "GET", "/history.atom")
	var feed struct {
		Entries []atomEntry `xml:"entry"`
	}
	if err := xml.Unmarshal([]byte(body), &feed); err != nil {
		t.Fatalf("history.atom: %v", err)
	}
	return feed.Entries
}

// MarkdownText is what incident.Service checks a body with: "" exactly
// when the page would show nothing of it.
func TestMarkdownText(t *testing.T) {
	tests := []struct{ name, markdown, want string }{
		{"text", "We are **investigating** errors.", "We are investigating errors."},
		{"entities decoded", "Fixed &amp; done: a < b", "Fixed & done: a < b"},
		{"lines joined", "First line\nsecond line", "First line second line"},
		{"text beside raw HTML", "Look <span>here</span> now", "Look here now"},
		{"a link keeps its text", "[status](https://example.com)", "status"},
		{"HTML block", "<div>\nWe are investigating.\n</div>", ""},
		{"script", "<script>alert(1)</script>", ""},
		{"javascript: link without text", "[](javascript:alert(1))", ""},
		{"image", "![outage](https://example.com/x.png)", ""},
		{"comment", "<!-- nothing -->", ""},
		{"rule", "---", ""},
		{"no-break space", "&nbsp;", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := statuspage.MarkdownText(tt.markdown); got != tt.want {
				t.Errorf("MarkdownText(%q) = %q, want %q", tt.markdown, got, tt.want)
			}
		})
	}
}
