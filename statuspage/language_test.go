package statuspage_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/headroomhq/headroom/statuspage"
	"github.com/headroomhq/headroom/statuspage/i18n"
	"golang.org/x/net/html"
)

// pageKinds are a path of each kind of page the fixture has.
var pageKinds = []struct{ kind, path string }{
	{"index", "/"},
	{"incident", "/incidents/incactive001"},
	{"incident with a postmortem", "/incidents/incpostm0001"},
	{"maintenance", "/incidents/mntactive001"},
	{"scheduled maintenance", "/incidents/mntsched0001"},
	{"history", "/history"},
	{"history, older", "/history?page=2"},
	{"not found", "/no/such/page"},
	{"incident not found", "/incidents/nosuchincident"},
}

// sameInEnglish are English texts of the catalog a translation may keep:
// names and abbreviations.
var sameInEnglish = map[string]bool{"Atom": true, "RSS": true, "API": true, "headroom": true, "min": true, "Service": true, "Pages": true, "Page": true, "Status": true, "maintenance": true}

// Every fixed text of every page goes through the catalog: rendered in
// another language, a page has none of English's texts left, once the
// fixture's own words (names, update bodies) are taken out.
func TestEveryPageInEveryLanguage(t *testing.T) {
	for _, lang := range i18n.Supported() {
		if lang == "en" {
			continue
		}
		t.Run(lang, func(t *testing.T) {
			h := statuspage.New()
			h.Language = lang
			h.Publish(fixture())
			for _, p := range pageKinds {
				noEnglishLeft(t, h, lang, p.kind, p.path)
			}
		})
	}
}

// The system metrics' section and pages too, their charts' names and
// summaries included.
func TestSystemMetricsInEveryLanguage(t *testing.T) {
	for _, lang := range i18n.Supported() {
		if lang == "en" {
			continue
		}
		t.Run(lang, func(t *testing.T) {
			h := statuspage.New()
			h.Language = lang
			h.Publish(fixture())
			h.PublishMetrics(collected(t, &fakeRanges{value: rampRatio}))
			c, err := i18n.Lookup(lang)
			if err != nil {
				t.Fatal(err)
			}
			for _, path := range []string{"/", "/system-metrics/week", "/system-metrics/month"} {
				noEnglishLeft(t, h, lang, path, path, "Error ratio", "Mean latency")
				_, body := get(t, h, "GET", path)
				if words := readable(parse(t, body)); !strings.Contains(words, c.T("metrics.title")) || !strings.Contains(words, c.T("metrics.objective_ref", "")) {
					t.Errorf("%s in %s has no %q or %q", path, lang, c.T("metrics.title"), c.T("metrics.objective_ref", ""))
				}
			}
		})
	}
}

// noEnglishLeft fails t when the page at path has a text of the English
// catalog left, besides the fixture's words and own.
func noEnglishLeft(t *testing.T, h *statuspage.Handler, lang, kind, path string, own ...string) {
	t.Helper()
	en, err := i18n.Lookup("en")
	if err != nil {
		t.Fatal(err)
	}
	var english []string
	for _, msg := range en.Messages {
		for _, part := range regexp.MustCompile(`\{\d\}`).Split(msg, -1) {
			part = strings.Trim(part, " .,:;-()←→%")
			if len([]rune(part)) >= 3 && !sameInEnglish[part] {
				english = append(english, part)
			}
		}
	}
	_, body := get(t, h, "GET", path)
	doc := parse(t, body)
	if got := attr(find(doc, func(n *html.Node) bool { return n.Type == html.ElementNode && n.Data == "html" }), "lang"); got != lang {
		t.Errorf("%s: <html lang=%q>, want %q", kind, got, lang)
	}
	words := readable(doc)
	for _, w := range append(own, fixtureWords()...) {
		words = strings.ReplaceAll(words, w, " ")
	}
	for _, e := range english {
		if containsWord(words, e) {
			t.Errorf("%s in %s: English %q is left: %s", kind, lang, e, around(words, e))
		}
	}
}

// Dates, times, counts and decimals are written in the page's language
// and zone.
func TestPageLanguageFormats(t *testing.T) {
	for _, tc := range []struct {
		lang, zone, path string
		want             []string
	}{
		{"de", "Europe/Berlin", "/", []string{"8. Juli 2021", "Veröffentlicht am 08. Juli 2021, 13:40 CEST", "99,73 % Verfügbarkeit", "Teilweiser Systemausfall"}},
		{"fr", "Europe/Paris", "/history", []string{"juillet 2021", "Historique des incidents"}},
		{"es", "UTC", "/incidents/mntactive001", []string{"Programado para el", "Informe de mantenimiento programado de Acme"}},
		{"ja", "Asia/Tokyo", "/", []string{"2021年7月8日", "投稿日時: 2021年7月8日 20:40 JST", "稼働率 99.73 %", "Website、API"}},
		{"ja", "Asia/Tokyo", "/history", []string{"2021年7月", "インシデント履歴"}},
	} {
		t.Run(tc.lang+tc.path, func(t *testing.T) {
			snap := fixture()
			snap.Page.TimeZone = tc.zone
			h := statuspage.New()
			h.Language = tc.lang
			h.Publish(snap)
			_, body := get(t, h, "GET", tc.path)
			words := readable(parse(t, body))
			for _, w := range tc.want {
				if !strings.Contains(words, w) {
					t.Errorf("no %q in: %s", w, words)
				}
			}
		})
	}
}

// The stylesheet's texts (the bars' tooltips and legend) are set for each
// language, selected by <html lang>.
func TestStylesheetLanguages(t *testing.T) {
	h := published(t, fixture())
	_, css := get(t, h, "GET", "/assets/status-"+stylesheetHash(t, h)+".css")
	for _, want := range []string{
		`:root{--t-quiet-pre:"";--t-quiet-post:" days ago: no downtime recorded"`,
		`:root:lang(de){--t-quiet-pre:"vor ";--t-quiet-post:" Tagen: keine Ausfallzeit erfasst"`,
		`--t-days-90:"il y a 90 jours"`,
		`--t-today-quiet:"今日: ダウンタイムの記録なし"`,
		`content:var(--t-quiet-pre) counter(day) var(--t-quiet-post)`,
	} {
		if !strings.Contains(css, want) {
			t.Errorf("the stylesheet has no %s", want)
		}
	}
}

// Every message the templates and the Go code ask for is in the catalog.
func TestTemplateKeysInCatalog(t *testing.T) {
	en, err := i18n.Lookup("en")
	if err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob("page/*.tmpl")
	goFiles, _ := filepath.Glob("*.go")
	calls := regexp.MustCompile(`\{\{-?\s*(?:t|n) "([^"]+)"|\(\s*(?:t|n) "([^"]+)"|lang\.(?:T|N)\("([^"]+)"`)
	seen := 0
	for _, f := range append(files, goFiles...) {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range calls.FindAllStringSubmatch(string(src), -1) {
			key := m[1] + m[2] + m[3]
			if strings.HasSuffix(key, ".") || strings.HasSuffix(key, "_") {
				continue // a prefix: the rest is a value
			}
			seen++
			_, ok := en.Messages[key]
			_, plural := en.Messages[key+".other"]
			if !ok && !plural {
				t.Errorf("%s asks for message %q, which en.json lacks", f, key)
			}
		}
	}
	if seen < 40 {
		t.Errorf("found %d messages asked for; the pattern misses the calls", seen)
	}
}

// readable is what a person reads or hears of a page: its text and the
// attributes that are read (title, aria-label, alt, data-t, data-days).
func readable(doc *html.Node) string {
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		switch {
		case n.Type == html.TextNode:
			b.WriteString(n.Data + " ")
		case n.Type == html.ElementNode:
			for _, a := range n.Attr {
				switch a.Key {
				case "title", "aria-label", "alt", "data-t", "data-days":
					b.WriteString(a.Val + " ")
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	return strings.Join(strings.Fields(b.String()), " ")
}

// fixtureWords are the fixture's own texts, the longest first.
func fixtureWords() []string {
	s := fixture()
	var out []string
	add := func(w string) {
		if w != "" {
			out = append(out, w)
		}
	}
	add(s.Page.Name)
	for _, g := range s.Groups {
		add(g.Name)
		add(g.Description)
	}
	for _, c := range s.Components {
		add(c.Name)
		add(c.Description)
	}
	for _, inc := range s.Incidents {
		add(inc.Name)
		add(inc.PostmortemBody)
		for _, u := range inc.Updates {
			add(u.Body)
		}
	}
	// Markdown is rendered: its plain words, line by line.
	var words []string
	for _, w := range out {
		for line := range strings.SplitSeq(w, "\n") {
			line = strings.NewReplacer("**", "", "*", "", "`", "", "#", "").Replace(strings.TrimSpace(line))
			if line != "" {
				words = append(words, line)
			}
		}
	}
	slicesSortByLen(words)
	return words
}

func slicesSortByLen(s []string) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && len(s[j]) > len(s[j-1]); j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

// containsWord says whether s has w not inside a longer word.
func containsWord(s, w string) bool {
	return regexp.MustCompile(`(^|[^\pL])` + regexp.QuoteMeta(w) + `($|[^\pL])`).MatchString(s)
}

func around(s, w string) string {
	i := strings.Index(s, w)
	return s[max(i-60, 0):min(i+len(w)+60, len(s))]
}
