// Package htmltext reads a page as a person does, for tests: the text of
// an element, one line per block (paragraph, heading, list item, ...),
// with runs of white space (no-break spaces too) as one space.
package htmltext

import (
	"strings"

	"golang.org/x/net/html"
)

// blocks are the elements that start and end a line.
var blocks = map[string]bool{"p": true, "div": true, "h1": true, "h2": true, "h3": true, "h4": true, "li": true, "section": true,
	"article": true, "small": true, "br": true, "ul": true, "ol": true, "header": true, "footer": true, "summary": true,
	"details": true}

// Lines returns the text lines of the first element of doc that match
// accepts (the whole document when match is nil); ok is false when none
// does.
func Lines(doc *html.Node, match func(*html.Node) bool) (lines []string, ok bool) {
	root := doc
	if match != nil {
		if root = Find(doc, match); root == nil {
			return nil, false
		}
	}
	var cur strings.Builder
	flush := func() {
		if s := strings.Join(strings.Fields(cur.String()), " "); s != "" {
			lines = append(lines, s)
		}
		cur.Reset()
	}
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		switch {
		case n.Type == html.TextNode:
			cur.WriteString(n.Data)
			return
		case n.Type == html.ElementNode && (n.Data == "style" || n.Data == "head" || n.Data == "script"):
			return
		}
		block := n.Type == html.ElementNode && blocks[n.Data]
		if block {
			flush()
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
		if block {
			flush()
		}
	}
	walk(root)
	flush()
	return lines, true
}

// Find returns the first element under n (n included) that match accepts.
func Find(n *html.Node, match func(*html.Node) bool) *html.Node {
	if match(n) {
		return n
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if f := Find(c, match); f != nil {
			return f
		}
	}
	return nil
}

// FindAll returns every element under n (n included) that match accepts.
func FindAll(n *html.Node, match func(*html.Node) bool) []*html.Node {
	var out []*html.Node
	if match(n) {
		out = append(out, n)
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		out = append(out, FindAll(c, match)...)
	}
	return out
}

// Attr returns n's attribute name, or "".
func Attr(n *html.Node, name string) string {
	for _, a := range n.Attr {
		if a.Key == name {
			return a.Val
		}
	}
	return ""
}

// HasClass matches the elements with class among their classes.
func HasClass(class string) func(*html.Node) bool {
	return func(n *html.Node) bool {
		return n.Type == html.ElementNode && strings.Contains(" "+Attr(n, "class")+" ", " "+class+" ")
	}
}
