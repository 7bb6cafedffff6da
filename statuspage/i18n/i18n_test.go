package i18n

import (
	"slices"
	"strings"
	"testing"
	"time"
)

// Every language has every message English has, with the plural forms
// its rule uses, and no message English lacks.
func TestCatalogsComplete(t *testing.T) {
	en := catalogs()["en"]
	for _, tag := range Supported() {
		c := catalogs()[tag]
		for key := range en.Messages {
			plural := strings.HasSuffix(key, ".one") || strings.HasSuffix(key, ".other")
			if !plural {
				if c.Messages[key] == "" {
					t.Errorf("%s: no message %s", tag, key)
				}
				continue
			}
			stem := key[:strings.LastIndexByte(key, '.')]
			if c.Messages[stem+".other"] == "" {
				t.Errorf("%s: no message %s.other", tag, stem)
			}
			if c.plural(1) == "one" && c.Messages[stem+".one"] == "" {
				t.Errorf("%s: no message %s.one, and 1 is one", tag, stem)
			}
		}
		for key := range c.Messages {
			if _, ok := en.Messages[key]; !ok {
				t.Errorf("%s: message %s is not in en.json", tag, key)
			}
		}
		for name := range en.Formats {
			if c.Formats[name] == "" {
				t.Errorf("%s: no date format %s", tag, name)
			}
		}
		for i := range 12 {
			if c.Months[i] == "" || c.MonthsShort[i] == "" {
				t.Errorf("%s: month %d has no name", tag, i+1)
			}
		}
		if c.Decimal == "" || c.List.Two == "" || c.List.Middle == "" || c.List.End == "" {
			t.Errorf("%s: no decimal separator or list patterns", tag)
		}
		// A message's arguments are the English one's.
		for key, msg := range en.Messages {
			if other, ok := c.Messages[key]; ok && !strings.HasSuffix(key, ".one") && !sameArgs(msg, other) {
				t.Errorf("%s: %s is %q, whose arguments are not those of %q", tag, key, other, msg)
			}
		}
	}
}

func sameArgs(a, b string) bool {
	args := func(s string) []string {
		var out []string
		for i := range 10 {
			if strings.Contains(s, "{"+string(rune('0'+i))+"}") {
				out = append(out, string(rune('0'+i)))
			}
		}
		return out
	}
	return slices.Equal(args(a), args(b))
}

func TestLookup(t *testing.T) {
	for _, tc := range []struct{ name, tag, want, err string }{
		{"empty: English", "", "en", ""},
		{"a language", "de", "de", ""},
		{"a region of a language", "fr-CA", "fr", ""},
		{"a region, any case", "ES-mx", "es", ""},
		{"Japanese", "ja-JP", "ja", ""},
		{"not spoken", "pt-BR", "", `does not speak "pt-BR": expected one of en, de, fr, es, ja`},
		{"not a tag", "german!", "", `"german!" is not a BCP 47 language tag`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Lookup(tc.tag)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("Lookup(%q): err %v, want one saying %q", tc.tag, err, tc.err)
				}
				return
			}
			if err != nil || c.Lang != tc.want {
				t.Fatalf("Lookup(%q) = %v, %v; want %s", tc.tag, c, err, tc.want)
			}
		})
	}
}

func TestTime(t *testing.T) {
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Skip("no tzdata:", err)
	}
	at := time.Date(2021, 6, 30, 17, 53, 0, 0, time.UTC).In(paris)
	for _, tc := range []struct{ lang, format, want string }{
		{"en", "posted", "Jun 30, 2021 - 19:53 CEST"},
		{"en", "month", "June 2021"},
		{"de", "posted", "30. Juni 2021, 19:53 CEST"},
		{"de", "date", "30. Juni 2021"},
		{"fr", "short", "30 juin, 19:53 CEST"},
		{"fr", "month", "juin 2021"},
		{"es", "month", "junio de 2021"},
		{"es", "date", "30 jun 2021"},
		{"ja", "posted", "2021年6月30日 19:53 CEST"},
		{"ja", "month", "2021年6月"},
		{"ja", "short", "6月30日 19:53 CEST"},
	} {
		if got := catalogs()[tc.lang].Time(tc.format, at); got != tc.want {
			t.Errorf("%s %s: got %q, want %q", tc.lang, tc.format, got, tc.want)
		}
	}
}

func TestPlural(t *testing.T) {
	for _, tc := range []struct {
		lang string
		n    int
		want string
	}{
		{"en", 1, "1 day ago"}, {"en", 0, "0 days ago"}, {"en", 2, "2 days ago"},
		{"de", 1, "vor 1 Tag"}, {"de", 40, "vor 40 Tagen"},
		// French counts 0 as one, English does not.
		{"fr", 0, "il y a 0 jour"}, {"fr", 1, "il y a 1 jour"}, {"fr", 2, "il y a 2 jours"},
		{"es", 1, "hace 1 día"}, {"es", 3, "hace 3 días"},
		{"ja", 1, "1 日前"}, {"ja", 3, "3 日前"},
	} {
		if got := catalogs()[tc.lang].N("days_ago", tc.n); got != tc.want {
			t.Errorf("%s %d: got %q, want %q", tc.lang, tc.n, got, tc.want)
		}
	}
}

func TestJoin(t *testing.T) {
	names := []string{"Website", "API", "CDN"}
	for _, tc := range []struct {
		lang  string
		names []string
		want  string
	}{
		{"en", names[:1], "Website"},
		{"en", names[:2], "Website and API"},
		{"en", names, "Website, API, and CDN"},
		{"de", names, "Website, API und CDN"},
		{"fr", names[:2], "Website et API"},
		{"es", names, "Website, API y CDN"},
		{"ja", names, "Website、API、CDN"},
		{"en", nil, ""},
	} {
		if got := catalogs()[tc.lang].Join(tc.names); got != tc.want {
			t.Errorf("%s %v: got %q, want %q", tc.lang, tc.names, got, tc.want)
		}
	}
}

func TestFill(t *testing.T) {
	for _, tc := range []struct {
		msg  string
		args []any
		want string
	}{
		{"Page {0} of {1}", []any{2, 5}, "Page 2 of 5"},
		{"{1} before {0}", []any{"a", "b"}, "b before a"},
		{"a {2} too far, a {brace}, a {", []any{"x"}, "a {2} too far, a {brace}, a {"},
		{"{0}{0}", []any{"ab"}, "abab"},
	} {
		if got := fill(tc.msg, tc.args); got != tc.want {
			t.Errorf("fill(%q, %v) = %q, want %q", tc.msg, tc.args, got, tc.want)
		}
	}
	if got := catalogs()["de"].Number("99.93"); got != "99,93" {
		t.Errorf("German 99.93: got %q", got)
	}
	if got := catalogs()["en"].T("no.such.key"); got != "no.such.key" {
		t.Errorf("a missing key: got %q, want the key", got)
	}
}

func FuzzLookup(f *testing.F) {
	for _, s := range []string{"", "de", "fr-CA", "x-private", "zh-Hant-TW", "en-u-ca-gregory", "--"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, tag string) {
		c, err := Lookup(tag)
		if err == nil && !slices.Contains(Supported(), c.Lang) {
			t.Fatalf("Lookup(%q) found %q, not a supported language", tag, c.Lang)
		}
	})
}

func FuzzFill(f *testing.F) {
	for _, s := range []string{"{0}", "{", "}{", "{1}{0}", "{-1}", "{99999999999999999999}", "a{0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, msg string) {
		got := fill(msg, []any{"x", "y"})
		if !strings.Contains(msg, "{") && got != msg {
			t.Fatalf("fill(%q) = %q, changed a message without arguments", msg, got)
		}
	})
}
