package statuspage

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/headroomhq/headroom/incident"
	"golang.org/x/net/html"
)

// allowed are the elements and attributes the sanitizer may let through.
var allowed = map[string][]string{
	"p": nil, "br": nil, "strong": nil, "em": nil, "b": nil, "i": nil, "del": nil, "s": nil, "code": nil, "pre": nil,
	"blockquote": nil, "ul": nil, "ol": {"start"}, "li": nil, "h1": nil, "h2": nil, "h3": nil, "h4": nil, "h5": nil, "h6": nil,
	"hr": nil, "table": nil, "thead": nil, "tbody": nil, "tr": nil, "th": {"align"}, "td": {"align"}, "sub": nil, "sup": nil,
	"a": {"href", "rel"},
	// What the HTML parser adds around a fragment.
	"html": nil, "head": nil, "body": nil,
}

// Whatever the Markdown, the HTML is made of the allowed elements and
// attributes only, and links go to http, https, mailto or a relative
// address.
func FuzzRenderMarkdown(f *testing.F) {
	for _, seed := range []string{
		"**bold** [x](https://example.com) <script>alert(1)</script>",
		"<img src=x onerror=alert(1)>", "[x](javascript:alert(1))", "[x](&#106;avascript:alert(1))",
		"<a href=\"&#x6A;avascript:alert(1)\">x</a>", "<svg onload=alert(1)>", "<style>*{}</style>",
		"| a |\n|:-:|\n| <b onclick=x>1</b> |", "1. x\n2. y", "<javascript:alert(1)>", "![x](data:image/png;base64,AAAA)",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, src string) {
		out := string(renderMarkdown(src))
		root, err := html.Parse(strings.NewReader(out))
		if err != nil {
			t.Fatal(err)
		}
		var walk func(*html.Node)
		walk = func(n *html.Node) {
			if n.Type == html.ElementNode {
				attrs, ok := allowed[n.Data]
				if !ok {
					t.Fatalf("element <%s> in %q\nfrom %q", n.Data, out, src)
				}
				for _, a := range n.Attr {
					if !contains(attrs, a.Key) {
						t.Fatalf("attribute %s on <%s> in %q\nfrom %q", a.Key, n.Data, out, src)
					}
					if a.Key == "href" {
						scheme, _, found := strings.Cut(strings.ToLower(a.Val), ":")
						if found && !strings.ContainsAny(scheme, "/?#") && scheme != "http" && scheme != "https" && scheme != "mailto" {
							t.Fatalf("a link to %q in %q\nfrom %q", a.Val, out, src)
						}
					}
				}
			}
			for c := n.FirstChild; c != nil; c = c.NextSibling {
				walk(c)
			}
		}
		walk(root)
	})
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// Whatever the path, query and headers, a request gets a page, a 304 or a
// 404 (a 405 for other methods), never a panic, and gzip only when it
// asked for it.
func FuzzServe(f *testing.F) {
	now := time.Date(2021, 7, 8, 12, 0, 0, 0, time.UTC)
	h := New()
	h.Publish(&incident.Snapshot{Page: incident.Page{ID: "p", Name: "Fuzz"}, BuiltAt: now, UpdatedAt: now,
		Components: []incident.Component{{ID: "c1", Name: "API", Status: incident.Operational}},
		Incidents: []incident.Incident{{ID: "i1", Kind: incident.KindIncident, Name: "Down", Status: incident.Investigating,
			Impact: incident.ImpactMajor, CreatedAt: now, StartedAt: now, UpdatedAt: now,
			Updates: []incident.Update{{ID: "u1", Status: incident.Investigating, Body: "Looking.", CreatedAt: now, DisplayAt: now}}}}})
	for _, seed := range [][4]string{
		{"GET", "/", "gzip", ""}, {"GET", "/history?page=1", "gzip;q=0", `"x"`}, {"HEAD", "/incidents/i1", "*", "*"},
		{"GET", "/api/v2/summary.json", "br, gzip;q=0.5", `W/"a", "b"`}, {"POST", "/", "", ""}, {"GET", "/history?page=-1&page=2", ",,;q=", ","},
	} {
		f.Add(seed[0], seed[1], seed[2], seed[3])
	}
	f.Fuzz(func(t *testing.T, method, target, acceptEncoding, ifNoneMatch string) {
		if method != "GET" && method != "HEAD" && method != "POST" {
			method = "GET"
		}
		if !strings.HasPrefix(target, "/") || strings.ContainsAny(target, " \r\n\t#") {
			target = "/" + strings.Map(func(r rune) rune {
				if r <= ' ' || r == '#' || r == 0x7f {
					return -1
				}
				return r
			}, target)
		}
		r, err := http.NewRequest(method, "http://status.test"+target, nil)
		if err != nil {
			return
		}
		r.Header.Set("Accept-Encoding", acceptEncoding)
		r.Header.Set("If-None-Match", ifNoneMatch)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		switch w.Code {
		case 200, 304, 404:
		case 405:
			if method != "POST" {
				t.Fatalf("%s %s: 405", method, target)
			}
		default:
			t.Fatalf("%s %s: %d", method, target, w.Code)
		}
		if w.Header().Get("Content-Encoding") == "gzip" && !acceptsGzip([]string{acceptEncoding}) {
			t.Fatalf("gzip for Accept-Encoding %q", acceptEncoding)
		}
	})
}
