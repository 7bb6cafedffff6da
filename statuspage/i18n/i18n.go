package i18n

import (
	"embed"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/text/language"
)

//go:embed *.json
var files embed.FS

// Catalog is one language's strings and formats.
type Catalog struct {
	tag  language.Tag
	Lang string `json:"-"`
	// Messages are the fixed strings by key. "{0}", "{1}"... stand for
	// the arguments. A plural message has one key per CLDR category it
	// needs: "days_ago.one", "days_ago.other".
	Messages map[string]string `json:"messages"`
	// Months and MonthsShort are January..December as the language
	// writes them in dates.
	Months      [12]string `json:"months"`
	MonthsShort [12]string `json:"monthsShort"`
	// Formats are the date and time patterns by use; see format.
	Formats map[string]string `json:"formats"`
	// Decimal is the decimal separator.
	Decimal string `json:"decimal"`
	// List joins names: Two for two, Middle between earlier ones, End
	// before the last of three or more (CLDR's list patterns,
	// https://cldr.unicode.org/translation/miscellaneous/lists).
	List struct{ Two, Middle, End string } `json:"list"`
}

// Languages the status page speaks, the default first.
var languages = []language.Tag{language.English, language.German, language.French, language.Spanish, language.Japanese}

// catalogs are loaded once, by language tag, by the first lookup (not
// when a program that never shows a page starts).
var catalogs = sync.OnceValue(load)

var matcher = language.NewMatcher(languages)

func load() map[string]*Catalog {
	out := map[string]*Catalog{}
	for _, tag := range languages {
		name := tag.String()
		data, err := files.ReadFile(name + ".json")
		if err != nil {
			panic(err) // embedded at build time: cannot fail
		}
		c := &Catalog{tag: tag, Lang: name}
		if err := json.Unmarshal(data, c); err != nil {
			panic(fmt.Sprintf("i18n: %s.json: %v", name, err)) // embedded: a test reads every file
		}
		out[name] = c
	}
	return out
}

// Supported lists the languages' tags, for messages.
func Supported() []string {
	out := make([]string, len(languages))
	for i, l := range languages {
		out[i] = l.String()
	}
	return out
}

// Lookup returns the catalog for a BCP 47 tag (https://www.rfc-editor.org/rfc/rfc5646):
// "de", "de-CH" and "fr-CA" find German and French. The empty tag is
// English. It fails on a malformed tag and on a language the page does
// not speak.
func Lookup(tag string) (*Catalog, error) {
	if tag == "" {
		return catalogs()["en"], nil
	}
	t, err := language.Parse(tag)
	if err != nil {
		return nil, fmt.Errorf("%q is not a BCP 47 language tag: %w", tag, err)
	}
	_, i, conf := matcher.Match(t)
	if conf == language.No {
		return nil, fmt.Errorf("the status page does not speak %q: expected one of %s", tag, strings.Join(Supported(), ", "))
	}
	return catalogs()[languages[i].String()], nil
}

// T returns the message key with its arguments in place. A key the
// catalog lacks comes out as itself, visible on the page (a test checks
// every key the templates use).
func (c *Catalog) T(key string, args ...any) string {
	msg, ok := c.Messages[key]
	if !ok {
		return key
	}
	return fill(msg, args)
}

// N is T for a message that depends on a count n, the plural category of n
// choosing the message; n is also the argument {0}, before args.
func (c *Catalog) N(key string, n int, args ...any) string {
	msg, ok := c.Messages[key+"."+c.plural(n)]
	if !ok {
		msg, ok = c.Messages[key+".other"]
	}
	if !ok {
		return key
	}
	return fill(msg, append([]any{n}, args...))
}

// plural is n's CLDR plural category for integers
// (https://www.unicode.org/cldr/charts/latest/supplemental/language_plural_rules.html):
// French counts 0 and 1 as one; Japanese has one form.
func (c *Catalog) plural(n int) string {
	switch c.Lang {
	case "ja":
		return "other"
	case "fr":
		if n == 0 || n == 1 {
			return "one"
		}
		return "other"
	}
	if n == 1 {
		return "one"
	}
	return "other"
}

// fill puts args in place of {0}, {1}... in msg.
func fill(msg string, args []any) string {
	if !strings.Contains(msg, "{") {
		return msg
	}
	var b strings.Builder
	for {
		i := strings.IndexByte(msg, '{')
		j := strings.IndexByte(msg[i+1:], '}')
		if i < 0 || j < 0 {
			break
		}
		n, err := strconv.Atoi(msg[i+1 : i+1+j])
		if err != nil || n < 0 || n >= len(args) {
			b.WriteString(msg[:i+1])
			msg = msg[i+1:]
			continue
		}
		b.WriteString(msg[:i])
		switch a := args[n].(type) {
		case string:
			b.WriteString(a)
		case int:
			b.WriteString(strconv.Itoa(a))
		default:
			fmt.Fprint(&b, a)
		}
		msg = msg[i+2+j:]
	}
	b.WriteString(msg)
	return b.String()
}

// Join names as a list in the language: "Website, API, and CDN",
// "Website, API und CDN", "Website、API、CDN".
func (c *Catalog) Join(names []string) string {
	switch len(names) {
	case 0:
		return ""
	case 1:
		return names[0]
	case 2:
		return fill(c.List.Two, []any{names[0], names[1]})
	}
	s := names[len(names)-2]
	s = fill(c.List.End, []any{s, names[len(names)-1]})
	for _, n := range slices.Backward(names[:len(names)-2]) {
		s = fill(c.List.Middle, []any{n, s})
	}
	return s
}

// Number writes a decimal number given with a point in the language:
// "99,93" in German.
func (c *Catalog) Number(s string) string { return strings.Replace(s, ".", c.Decimal, 1) }

// Time writes t by the catalog's named format. The patterns' fields:
// {yyyy} year, {M} month, {MM} two-digit month, {MMM} short month name,
// {MMMM} month name, {d} day, {dd} two-digit day, {HH} hour of 24,
// {mm} minute, {z} the zone's abbreviation. Other text is kept.
func (c *Catalog) Time(format string, t time.Time) string {
	p, ok := c.Formats[format]
	if !ok {
		return t.Format(time.RFC3339)
	}
	b := make([]byte, 0, 2*len(p))
	two := func(n int) {
		b = append(b, byte('0'+n/10), byte('0'+n%10))
	}
	for p != "" {
		i := strings.IndexByte(p, '{')
		j := strings.IndexByte(p[max(i, 0):], '}')
		if i < 0 || j < 0 {
			b = append(b, p...)
			break
		}
		b = append(b, p[:i]...)
		field := p[i+1 : i+j]
		p = p[i+j+1:]
		// Written digit by digit: the status page formats thousands of
		// dates per write.
		switch field {
		case "yyyy":
			b = strconv.AppendInt(b, int64(t.Year()), 10)
		case "M":
			b = strconv.AppendInt(b, int64(t.Month()), 10)
		case "MM":
			two(int(t.Month()))
		case "MMM":
			b = append(b, c.MonthsShort[t.Month()-1]...)
		case "MMMM":
			b = append(b, c.Months[t.Month()-1]...)
		case "d":
			b = strconv.AppendInt(b, int64(t.Day()), 10)
		case "dd":
			two(t.Day())
		case "HH":
			two(t.Hour())
		case "mm":
			two(t.Minute())
		case "z":
			b = t.AppendFormat(b, "MST")
		default:
			b = append(b, "{"+field+"}"...)
		}
	}
	return string(b)
}
