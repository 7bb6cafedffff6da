package statuspage

import (
	"bytes"
	"testing"
)

// An entry encoded empty with its content written in, escaped a part at a
// time, is the entry encoding/xml writes with the content whole: for both
// feeds, and texts with markup, quotes, newlines, carriage returns, tabs,
// characters XML forbids, U+FFFD and a byte that is not UTF-8.
func TestFeedSpliceIsEncoding(t *testing.T) {
	parts := []string{"", "plain", "<p>a &amp; b</p>\n\t\r", `"quotes" 'apos'`, "ünïcode \u2028 ]]>", "\x01 control", "\uFFFD real", "not UTF-8 \xff here"}
	for i := range parts {
		for j := range parts {
			whole := parts[i] + parts[j]
			escaped := escapeXML(parts[i]) + escapeXML(parts[j])
			link := atomLink{Rel: "alternate", Type: "text/html", Href: "https://example.com/incidents/a&b"}
			want, err := encodeXML(atomEntry{ID: "tag:x", Title: "<T> & \"t\"", Link: link, Content: atomContent{Type: "html", Body: whole}}, "entry")
			if err != nil {
				t.Fatal(err)
			}
			empty, err := encodeXML(atomEntry{ID: "tag:x", Title: "<T> & \"t\"", Link: link, Content: atomContent{Type: "html"}}, "entry")
			if err != nil {
				t.Fatal(err)
			}
			got, err := spliceText(empty, `<content type="html"></content>`, escaped)
			if err != nil || !bytes.Equal(got, want) {
				t.Errorf("atom %q + %q: %v\n got %s\nwant %s", parts[i], parts[j], err, got, want)
			}
			want, err = encodeXML(rssItem{Title: "<T>", Description: whole, Link: link.Href, GUID: rssGUID{IsPermaLink: true, ID: link.Href}}, "item")
			if err != nil {
				t.Fatal(err)
			}
			empty, err = encodeXML(rssItem{Title: "<T>", Link: link.Href, GUID: rssGUID{IsPermaLink: true, ID: link.Href}}, "item")
			if err != nil {
				t.Fatal(err)
			}
			got, err = spliceText(empty, "<description></description>", escaped)
			if err != nil || !bytes.Equal(got, want) {
				t.Errorf("rss %q + %q: %v\n got %s\nwant %s", parts[i], parts[j], err, got, want)
			}
		}
	}
}
