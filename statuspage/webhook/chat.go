package webhook

import (
	"encoding/json"
	"strings"

	"github.com/headroomhq/headroom/incident"
)

// SlackMessage is the body POSTed to a Slack incoming webhook for n: a
// "text" (what notifications and clients without blocks show) and the same
// words as blocks, in Slack's mrkdwn.
//
// Format: https://api.slack.com/messaging/webhooks (a JSON body with
// "text", optionally "blocks"); blocks:
// https://api.slack.com/reference/block-kit/blocks#section.
func SlackMessage(n incident.Notice) ([]byte, error) {
	type text struct {
		Type string `json:"type"`
		Text string `json:"text"`
	}
	type block struct {
		Type     string `json:"type"`
		Text     *text  `json:"text,omitempty"`
		Elements []text `json:"elements,omitempty"`
	}
	title := "*" + slackEscape(n.Subject()) + "*"
	if n.URL != "" {
		title = "*<" + slackEscape(n.URL) + "|" + slackEscape(n.Subject()) + ">*"
	}
	var body strings.Builder
	body.WriteString(title)
	if n.Body != "" {
		body.WriteString("\n" + slackEscape(n.Body))
	}
	var context []string
	if len(n.Components) > 0 {
		context = append(context, slackEscape(strings.Join(n.Components, " · ")))
	}
	if n.PageStatus != "" {
		context = append(context, slackEscape(n.PageStatus))
	}
	blocks := []block{{Type: "section", Text: &text{Type: "mrkdwn", Text: truncate(body.String(), slackSectionMax)}}}
	if len(context) > 0 {
		blocks = append(blocks, block{Type: "context", Elements: []text{{Type: "mrkdwn", Text: truncate(strings.Join(context, "\n"), slackSectionMax)}}})
	}
	return json.Marshal(struct {
		Text   string  `json:"text"`
		Blocks []block `json:"blocks"`
	}{Text: slackEscape(n.Subject()), Blocks: blocks})
}

// slackSectionMax is the most characters a section's text holds
// (https://api.slack.com/reference/block-kit/blocks#section: 3000).
const slackSectionMax = 3000

// slackEscape escapes the three characters Slack reads as markup in text:
// a "<!channel>" in an update must not notify a whole channel.
// https://api.slack.com/reference/surfaces/formatting#escaping
func slackEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

// TeamsMessage is the body POSTed to a Microsoft Teams incoming webhook
// (or a Teams Workflows webhook) for n: a message with one Adaptive Card
// attachment.
//
// Format: "Send Adaptive Cards using an Incoming Webhook",
// https://learn.microsoft.com/en-us/microsoftteams/platform/webhooks-and-connectors/how-to/connectors-using#send-adaptive-cards-using-an-incoming-webhook
// (type "message", attachments[].contentType
// "application/vnd.microsoft.card.adaptive", contentUrl null, the card in
// "content"); the card's elements: https://adaptivecards.io/explorer/
// (TextBlock, FactSet, Action.OpenUrl; version 1.4, which Teams renders).
func TeamsMessage(n incident.Notice) ([]byte, error) {
	type fact struct {
		Title string `json:"title"`
		Value string `json:"value"`
	}
	type element struct {
		Type   string `json:"type"`
		Text   string `json:"text,omitempty"`
		Size   string `json:"size,omitempty"`
		Weight string `json:"weight,omitempty"`
		Wrap   bool   `json:"wrap,omitempty"`
		Facts  []fact `json:"facts,omitempty"`
	}
	type action struct {
		Type  string `json:"type"`
		Title string `json:"title"`
		URL   string `json:"url"`
	}
	type card struct {
		Schema  string    `json:"$schema"`
		Type    string    `json:"type"`
		Version string    `json:"version"`
		Body    []element `json:"body"`
		Actions []action  `json:"actions,omitempty"`
	}
	type attachment struct {
		ContentType string  `json:"contentType"`
		ContentURL  *string `json:"contentUrl"`
		Content     card    `json:"content"`
	}
	c := card{Schema: "http://adaptivecards.io/schemas/adaptive-card.json", Type: "AdaptiveCard", Version: "1.4",
		Body: []element{{Type: "TextBlock", Text: n.Subject(), Size: "Medium", Weight: "Bolder", Wrap: true}}}
	if n.Body != "" {
		c.Body = append(c.Body, element{Type: "TextBlock", Text: n.Body, Wrap: true})
	}
	var facts []fact
	for _, comp := range n.Components {
		name, status, _ := strings.Cut(comp, ": ")
		facts = append(facts, fact{Title: name, Value: status})
	}
	if n.PageStatus != "" {
		facts = append(facts, fact{Title: "Status page", Value: n.PageStatus})
	}
	if len(facts) > 0 {
		c.Body = append(c.Body, element{Type: "FactSet", Facts: facts})
	}
	if n.URL != "" {
		c.Actions = []action{{Type: "Action.OpenUrl", Title: "View on the status page", URL: n.URL}}
	}
	return json.Marshal(struct {
		Type        string       `json:"type"`
		Attachments []attachment `json:"attachments"`
	}{Type: "message", Attachments: []attachment{{ContentType: "application/vnd.microsoft.card.adaptive", Content: c}}})
}

// truncate cuts s to at most n runes, marking the cut.
func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
