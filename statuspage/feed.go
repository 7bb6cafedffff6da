package statuspage

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"html/template"
	"net/url"
	"strings"
	"time"

	"github.com/headroomhq/headroom/incident"
)

// The feeds list the newest incidents and maintenances, as Statuspage's
// /history.atom and /history.rss do: one entry per incident, its content
// the updates newest first ("<small>Jun 30, 17:53 UTC</small><br>
// <strong>Resolved</strong> - ..."), as sanitized HTML.

type atomFeed struct {
	XMLName xml.Name    `xml:"http://www.w3.org/2005/Atom feed"`
	Lang    string      `xml:"xml:lang,attr"`
	ID      string      `xml:"id"`
	Links   []atomLink  `xml:"link"`
	Title   string      `xml:"title"`
	Updated string      `xml:"updated"`
	Author  atomAuthor  `xml:"author"`
	Entries []atomEntry `xml:"entry"`
}

type atomLink struct {
	Rel  string `xml:"rel,attr"`
	Type string `xml:"type,attr"`
	Href string `xml:"href,attr"`
}

type atomAuthor struct {
	Name string `xml:"name"`
}

type atomEntry struct {
	ID        string      `xml:"id"`
	Published string      `xml:"published"`
	Updated   string      `xml:"updated"`
	Link      atomLink    `xml:"link"`
	Title     string      `xml:"title"`
	Content   atomContent `xml:"content"`
}

type atomContent struct {
	Type string `xml:"type,attr"`
	Body string `xml:",chardata"`
}

type rssFeed struct {
	XMLName xml.Name   `xml:"rss"`
	Version string     `xml:"version,attr"`
	Atom    string     `xml:"xmlns:atom,attr"`
	Channel rssChannel `xml:"channel"`
}

type rssChannel struct {
	Title       string    `xml:"title"`
	Link        string    `xml:"link"`
	Description string    `xml:"description"`
	PubDate     string    `xml:"pubDate,omitempty"`
	Self        atomLink  `xml:"atom:link"`
	Items       []rssItem `xml:"item"`
}

type rssItem struct {
	Title       string  `xml:"title"`
	Description string  `xml:"description"`
	PubDate     string  `xml:"pubDate"`
	Link        string  `xml:"link"`
	GUID        rssGUID `xml:"guid"`
}

type rssGUID struct {
	IsPermaLink bool   `xml:"isPermaLink,attr"`
	ID          string `xml:",chardata"`
}

func (h *Handler) renderFeeds(m *model, out *rendered) error {
	s := m.snap
	home := strings.TrimRight(s.Page.URL, "/")
	title := m.lang.T("page.title_sub", m.pageName(), m.lang.T("history.title"))
	// Atom ids must be absolute and never change: a tag URI on the page's
	// host (RFC 4151), or on headroom's name when the page has no URL.
	authority := "headroom"
	if u, err := url.Parse(home); err == nil && u.Host != "" {
		authority = u.Host
	}
	tag := "tag:" + authority + ",2005:"
	var incidents []*incident.Incident
	for i := range s.Incidents {
		if len(incidents) == max(h.FeedEntries, 1) {
			break
		}
		incidents = append(incidents, &s.Incidents[i])
	}

	atom := atomFeed{Lang: m.lang.Lang, ID: tag + "/history", Title: title, Updated: s.UpdatedAt.UTC().Format(time.RFC3339),
		Author: atomAuthor{Name: m.pageName()},
		Links: []atomLink{{Rel: "alternate", Type: "text/html", Href: home + "/"},
			{Rel: "self", Type: "application/atom+xml", Href: home + "/history.atom"}}}
	rss := rssFeed{Version: "2.0", Atom: "http://www.w3.org/2005/Atom", Channel: rssChannel{Title: title, Link: home + "/",
		Description: m.lang.T("feed.description", m.pageName()),
		Self:        atomLink{Rel: "self", Type: "application/rss+xml", Href: home + "/history.rss"}}}
	if !s.UpdatedAt.IsZero() {
		rss.Channel.PubDate = s.UpdatedAt.UTC().Format(time.RFC1123Z)
	}
	// The entries are encoded once per incident (and page, components
	// and groups: the incident's docs) and spliced into the feeds before
	// their closing tags, where the encoder writes them: a write changes
	// one incident.
	var atomEntries, rssItems [][]byte
	for _, inc := range incidents {
		d := m.incidents[inc.ID]
		if d.atomEntry == nil || d.feedTag != tag {
			link := incident.IncidentURL(s.Page, url.PathEscape(inc.ID))
			// Encoded with an empty content, the content (escaped
			// already) written in.
			content := m.feedContent(inc)
			entry, err := encodeXML(atomEntry{ID: tag + "Incident/" + inc.ID,
				Published: inc.CreatedAt.UTC().Format(time.RFC3339), Updated: inc.UpdatedAt.UTC().Format(time.RFC3339),
				Link: atomLink{Rel: "alternate", Type: "text/html", Href: link}, Title: inc.Name,
				Content: atomContent{Type: "html"}}, "entry")
			if err == nil {
				d.atomEntry, err = spliceText(entry, `<content type="html"></content>`, content)
			}
			if err != nil {
				return fmt.Errorf("encode the feed entry of %s: %w", inc.ID, err)
			}
			item, err := encodeXML(rssItem{Title: inc.Name,
				PubDate: inc.CreatedAt.UTC().Format(time.RFC1123Z), Link: link, GUID: rssGUID{IsPermaLink: true, ID: link}}, "item")
			if err == nil {
				d.rssItem, err = spliceText(item, "<description></description>", content)
			}
			if err != nil {
				return fmt.Errorf("encode the feed item of %s: %w", inc.ID, err)
			}
			d.feedTag = tag
		}
		atomEntries = append(atomEntries, d.atomEntry)
		rssItems = append(rssItems, d.rssItem)
	}
	for _, f := range []struct {
		path, ctype, end string
		v                any
		items            [][]byte
	}{{"/history.atom", typeAtom, "</feed>", atom, atomEntries}, {"/history.rss", typeRSS, "</channel></rss>", rss, rssItems}} {
		var buf bytes.Buffer
		buf.WriteString(xml.Header)
		if err := xml.NewEncoder(&buf).Encode(f.v); err != nil {
			return fmt.Errorf("encode %s: %w", f.path, err)
		}
		head, ok := bytes.CutSuffix(buf.Bytes(), []byte(f.end))
		if !ok {
			return fmt.Errorf("encode %s: no %s at the end", f.path, f.end)
		}
		n := len(head) + len(f.end) + 1
		for _, it := range f.items {
			n += len(it)
		}
		b := append(make([]byte, 0, n), head...)
		for _, it := range f.items {
			b = append(b, it...)
		}
		b = append(append(b, f.end...), '\n')
		out.pages[f.path] = doc{body: b, contentType: f.ctype}
	}
	return nil
}

// encodeXML encodes v as the element name, as the encoder writes it inside
// its parent.
func encodeXML(v any, name string) ([]byte, error) {
	var buf bytes.Buffer
	if err := xml.NewEncoder(&buf).EncodeElement(v, xml.StartElement{Name: xml.Name{Local: name}}); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// feedContent is an entry's HTML, escaped as the feeds' XML writes it: the
// postmortem, then the updates, newest first, each with its time and
// status. The bodies are the sanitized HTML of the pages; the rest is
// escaped here. Each update's part is its item's, escaped when the item
// was made: a lasting incident's entry holds every update, and escaping
// them all again at each write grew with every update posted.
func (m *model) feedContent(inc *incident.Incident) string {
	var b strings.Builder
	if inc.PostmortemBody != "" && !inc.PostmortemPublishedAt.IsZero() {
		b.WriteString(escapeXML(fmt.Sprintf("<p><small>%s</small><br><strong>%s</strong></p>%s",
			template.HTMLEscapeString(m.short(inc.PostmortemPublishedAt)), template.HTMLEscapeString(m.statusText(incident.Postmortem)), m.body(inc.PostmortemBody))))
	}
	for _, it := range m.updates(inc) {
		b.WriteString(it.Feed)
	}
	if names := m.affected(inc); names != "" {
		key := "report.affected_incident"
		if inc.Kind == incident.KindMaintenance {
			key = "report.affected_maintenance"
		}
		b.WriteString(escapeXML(fmt.Sprintf("<p>%s</p>", template.HTMLEscapeString(m.lang.T(key, names)))))
	}
	return b.String()
}

// feedUpdate is an update's part of a feed entry, escaped: XML escapes a
// character at a time, so the escaped parts joined are the whole escaped.
func feedUpdate(v updateView) string {
	return escapeXML(fmt.Sprintf("<p><small>%s</small><br><strong>%s</strong> - </p>%s",
		template.HTMLEscapeString(v.Short), template.HTMLEscapeString(v.Label), v.Body))
}

// escapeXML is s as the feeds' encoder writes a text.
func escapeXML(s string) string {
	var b strings.Builder
	xml.EscapeText(&b, []byte(s)) // a strings.Builder does not fail
	return b.String()
}

// spliceText writes text, escaped already, into the first empty element
// empty of entry (an encoded entry's texts cannot hold a tag: their '<'
// are escaped).
func spliceText(entry []byte, empty, text string) ([]byte, error) {
	at := bytes.Index(entry, []byte(empty))
	if at < 0 {
		return nil, fmt.Errorf("no %s to write the content in", empty)
	}
	at += strings.Index(empty, "></") + 1
	out := make([]byte, 0, len(entry)+len(text))
	return append(append(append(out, entry[:at]...), text...), entry[at:]...), nil
}
