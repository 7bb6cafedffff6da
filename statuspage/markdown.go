package statuspage

import (
	"bytes"
	"html"
	"html/template"
	"regexp"
	"strings"
	"sync"

	"github.com/microcosm-cc/bluemonday"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
	gmhtml "github.com/yuin/goldmark/renderer/html"
)

// markdown renders incident bodies: CommonMark with GitHub's tables,
// strikethrough and bare links, a newline kept as a line break (people
// type updates as lines, as Statuspage shows them). goldmark already omits
// raw HTML and drops dangerous link targets; the sanitizer after it is what
// the page relies on. It, the sanitizer and textOnly are made by the first
// body rendered, not when the program starts.
var markdown = sync.OnceValue(func() goldmark.Markdown {
	return goldmark.New(
		// Cell alignment as align attributes: a style attribute would be
		// refused by the page's Content-Security-Policy.
		goldmark.WithExtensions(extension.NewTable(extension.WithTableCellAlignMethod(extension.TableCellAlignAttribute)),
			extension.Strikethrough, extension.Linkify),
		goldmark.WithRendererOptions(gmhtml.WithHardWraps()),
	)
})

// sanitizer keeps text formatting, lists, quotes, code, tables and links
// to http, https and mailto (and relative ones), and nothing else: stricter
// than bluemonday's UGCPolicy, which also keeps images (they would load
// from other sites, which the page's policy forbids anyway), ids and
// classes. No attribute but href, start and align survives: no style, no
// event handler.
var sanitizer = sync.OnceValue(func() *bluemonday.Policy {
	p := bluemonday.NewPolicy()
	p.AllowElements("p", "br", "strong", "em", "b", "i", "del", "s", "code", "pre", "blockquote", "ul", "ol", "li",
		"h1", "h2", "h3", "h4", "h5", "h6", "hr", "table", "thead", "tbody", "tr", "th", "td", "sub", "sup")
	p.AllowAttrs("start").Matching(bluemonday.Integer).OnElements("ol")
	p.AllowAttrs("align").Matching(regexp.MustCompile(`^(left|center|right)$`)).OnElements("th", "td")
	p.AllowAttrs("href").OnElements("a")
	p.AllowURLSchemes("http", "https", "mailto")
	p.AllowRelativeURLs(true)
	p.RequireParseableURLs(true)
	p.RequireNoFollowOnLinks(true)
	p.RequireNoReferrerOnLinks(true)
	return p
})

// renderMarkdown turns an incident body into HTML safe to put in a page.
func renderMarkdown(src string) template.HTML {
	var buf bytes.Buffer
	if err := markdown().Convert([]byte(src), &buf); err != nil {
		// goldmark fails only when the writer does; a buffer does not.
		// Show the text rather than nothing.
		return template.HTML("<p>" + template.HTMLEscapeString(src) + "</p>")
	}
	return template.HTML(sanitizer().SanitizeBytes(buf.Bytes()))
}

// textOnly keeps no element: what is left of a page's HTML is its text.
var textOnly = sync.OnceValue(bluemonday.StrictPolicy)

// MarkdownText returns the text a reader sees of an incident body once the
// page has rendered and sanitized it, on one line: "" when nothing shows
// (a body of raw HTML, which goldmark omits; of images or links to
// javascript:, which the sanitizer removes; of a rule). incident.Config's
// Text takes it, so that such a body is refused when it is written rather
// than published as an empty update.
func MarkdownText(src string) string {
	visible := textOnly().Sanitize(string(renderMarkdown(src)))
	return strings.Join(strings.Fields(html.UnescapeString(visible)), " ")
}
