package statuspage_test

import (
	"encoding/xml"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/headroomhq/headroom/statuspage"
)

type atomFeed struct {
	XMLName xml.Name `xml:"http://www.w3.org/2005/Atom feed"`
	ID      string   `xml:"id"`
	Title   string   `xml:"title"`
	Updated string   `xml:"updated"`
	Links   []struct {
		Rel  string `xml:"rel,attr"`
		Href string `xml:"href,attr"`
	} `xml:"link"`
	Entries []struct {
		ID        string `xml:"id"`
		Title     string `xml:"title"`
		Published string `xml:"published"`
		Updated   string `xml:"updated"`
		Link      struct {
			Href string `xml:"href,attr"`
		} `xml:"link"`
		Content struct {
			Type string `xml:"type,attr"`
			Body string `xml:",chardata"`
		} `xml:"content"`
	} `xml:"entry"`
}

type rssFeed struct {
	XMLName xml.Name `xml:"rss"`
	Version string   `xml:"version,attr"`
	Channel struct {
		Title string `xml:"title"`
		// RSS's link and Atom's self link share a local name.
		Links []struct {
			XMLName xml.Name
			Href    string `xml:"href,attr"`
			Text    string `xml:",chardata"`
		} `xml:"link"`
		Items []struct {
			Title       string `xml:"title"`
			Description string `xml:"description"`
			PubDate     string `xml:"pubDate"`
			Link        string `xml:"link"`
			GUID        string `xml:"guid"`
		} `xml:"item"`
	} `xml:"channel"`
}

// The Atom feed has an entry per incident and maintenance, newest first,
// with stable ids, links to the reports and the updates as HTML.
func TestAtomFeed(t *testing.T) {
	h := published(t, seedSnapshot(t))
	res, body := get(t, h, "GET", "/history.atom")
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "application/atom+xml; charset=utf-8" {
		t.Fatalf("%d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	var feed atomFeed
	if err := xml.Unmarshal([]byte(body), &feed); err != nil {
		t.Fatal(err)
	}
	if feed.ID != "tag:bitbucket.status.atlassian.com,2005:/history" || feed.Title != "Atlassian Bitbucket Status - Incident History" ||
		feed.Updated != "2021-07-07T21:51:00Z" {
		t.Errorf("feed: id %q, title %q, updated %q", feed.ID, feed.Title, feed.Updated)
	}
	var rels []string
	for _, l := range feed.Links {
		rels = append(rels, l.Rel+" "+l.Href)
	}
	if want := []string{"alternate https://bitbucket.status.atlassian.com/", "self https://bitbucket.status.atlassian.com/history.atom"}; !slices.Equal(rels, want) {
		t.Errorf("links %q, want %q", rels, want)
	}
	if len(feed.Entries) != 1 {
		t.Fatalf("%d entries, want the seed's incident", len(feed.Entries))
	}
	e := feed.Entries[0]
	if e.ID != "tag:bitbucket.status.atlassian.com,2005:Incident/"+seedIncidentID || e.Title != seedTitle ||
		e.Link.Href != "https://bitbucket.status.atlassian.com/incidents/"+seedIncidentID ||
		e.Published != "2021-06-30T17:16:00Z" || e.Updated != "2021-07-07T21:51:00Z" || e.Content.Type != "html" {
		t.Errorf("entry: %+v", e)
	}
	content := e.Content.Body
	var at []int
	for _, want := range []string{
		"<p><small>Jul 7, 21:51 UTC</small><br><strong>Postmortem</strong></p>",
		"<p><small>Jun 30, 17:53 UTC</small><br><strong>Resolved</strong> - </p><p>This incident has been resolved.</p>",
		"<p><small>Jun 30, 17:16 UTC</small><br><strong>Investigating</strong> - </p>",
		"<p>This incident affected: Website and API.</p>",
	} {
		i := strings.Index(content, want)
		if i < 0 {
			t.Errorf("the entry's content lacks %s", want)
		}
		at = append(at, i)
	}
	if !slices.IsSorted(at) {
		t.Errorf("the entry's content is out of order: %v", at)
	}
}

// The RSS feed holds the same entries, with RFC 1123 dates.
func TestRSSFeed(t *testing.T) {
	h := published(t, fixture())
	res, body := get(t, h, "GET", "/history.rss")
	if res.Header.Get("Content-Type") != "application/rss+xml; charset=utf-8" {
		t.Errorf("Content-Type %s", res.Header.Get("Content-Type"))
	}
	var feed rssFeed
	if err := xml.Unmarshal([]byte(body), &feed); err != nil {
		t.Fatal(err)
	}
	var links []string
	for _, l := range feed.Channel.Links {
		links = append(links, l.XMLName.Space+" "+l.Text+l.Href)
	}
	if feed.Version != "2.0" || feed.Channel.Title != "Acme Status - Incident History" ||
		!slices.Equal(links, []string{" https://status.acme.test/", "http://www.w3.org/2005/Atom https://status.acme.test/history.rss"}) {
		t.Errorf("channel: version %q, title %q, links %q", feed.Version, feed.Channel.Title, links)
	}
	if d := feed.Channel.Items[1].Description; !strings.HasSuffix(d, "<p>This scheduled maintenance affected: Pipelines (Builds).</p>") {
		t.Errorf("a maintenance's entry: %s", d)
	}
	var titles []string
	for _, it := range feed.Channel.Items {
		titles = append(titles, it.Title)
		if _, err := time.Parse(time.RFC1123Z, it.PubDate); err != nil {
			t.Errorf("%s: pubDate %q: %v", it.Title, it.PubDate, err)
		}
		if it.GUID != it.Link || !strings.HasPrefix(it.Link, "https://status.acme.test/incidents/") {
			t.Errorf("%s: link %q, guid %q", it.Title, it.Link, it.GUID)
		}
	}
	want := []string{"Elevated API error rates", "Build cluster upgrade", "Network maintenance", "Pipelines delayed", "Database failover test", "Login failures"}
	if !slices.Equal(titles, want) {
		t.Errorf("items %q, want %q", titles, want)
	}
	if d := feed.Channel.Items[0].Description; !strings.Contains(d, "<strong>Identified</strong> - </p><p>A bad deploy of the API gateway; <strong>rolling back</strong>.</p>") {
		t.Errorf("the description is not the updates' HTML: %s", d)
	}

	// FeedEntries bounds the feeds.
	h = statuspage.New()
	h.FeedEntries = 2
	h.Publish(fixture())
	_, body = get(t, h, "GET", "/history.rss")
	feed = rssFeed{}
	if err := xml.Unmarshal([]byte(body), &feed); err != nil {
		t.Fatal(err)
	}
	if len(feed.Channel.Items) != 2 {
		t.Errorf("%d items, want 2", len(feed.Channel.Items))
	}
}
