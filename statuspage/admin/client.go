package admin

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/headroomhq/headroom"
)

// DefaultClientTimeout bounds one request of a Client.
const DefaultClientTimeout = 30 * time.Second

// maxAnswer bounds how much of an answer a Client reads.
const maxAnswer = 16 << 20

// Client calls the admin API of a running `headroom serve`: the CLI's
// `headroom incident` and `headroom component` use it.
//
// Its errors are *headroom.Error: the server's code and message (EINVALID
// "components: no component ..."), EUNAUTHORIZED for a bad token,
// EUNAVAILABLE when the server cannot be reached.
type Client struct {
	// URL is the server's base URL, e.g. http://127.0.0.1:8080.
	URL string
	// Token is the admin token sent as a bearer token.
	Token string
	// HTTP sends the requests; nil for a client with DefaultClientTimeout.
	HTTP *http.Client
}

// Open opens an incident.
func (c *Client) Open(ctx context.Context, req OpenRequest) (*Incident, error) {
	var out Incident
	return &out, c.do(ctx, http.MethodPost, "incidents", req, &out)
}

// Incident returns an incident or maintenance, with its postmortem draft.
func (c *Client) Incident(ctx context.Context, id string) (*Incident, error) {
	var out Incident
	return &out, c.do(ctx, http.MethodGet, "incidents/"+url.PathEscape(id), nil, &out)
}

// Publish makes draft incident id public. Errors: ECONFLICT when it is
// not a draft.
func (c *Client) Publish(ctx context.Context, id string) (*Incident, error) {
	var out Incident
	return &out, c.do(ctx, http.MethodPost, "incidents/"+url.PathEscape(id)+"/publish", nil, &out)
}

// Update posts an update on incident id.
func (c *Client) Update(ctx context.Context, id string, req UpdateRequest) (*Incident, error) {
	var out Incident
	return &out, c.do(ctx, http.MethodPost, "incidents/"+url.PathEscape(id)+"/updates", req, &out)
}

// Resolve resolves incident id (completes a maintenance).
func (c *Client) Resolve(ctx context.Context, id string, req ResolveRequest) (*Incident, error) {
	var out Incident
	return &out, c.do(ctx, http.MethodPost, "incidents/"+url.PathEscape(id)+"/resolve", req, &out)
}

// SavePostmortem replaces incident id's postmortem draft with body.
func (c *Client) SavePostmortem(ctx context.Context, id, body string) (*Incident, error) {
	var out Incident
	return &out, c.do(ctx, http.MethodPut, "incidents/"+url.PathEscape(id)+"/postmortem", PostmortemRequest{Body: body}, &out)
}

// PublishPostmortem publishes incident id's postmortem draft.
func (c *Client) PublishPostmortem(ctx context.Context, id string) (*Incident, error) {
	var out Incident
	return &out, c.do(ctx, http.MethodPost, "incidents/"+url.PathEscape(id)+"/postmortem/publish", nil, &out)
}

// SetComponent sets component id's status.
func (c *Client) SetComponent(ctx context.Context, id string, req ComponentRequest) (*Component, error) {
	var out Component
	return &out, c.do(ctx, http.MethodPut, "components/"+url.PathEscape(id), req, &out)
}

// Schedule schedules maintenance.
func (c *Client) Schedule(ctx context.Context, req MaintenanceRequest) (*Incident, error) {
	var out Incident
	return &out, c.do(ctx, http.MethodPost, "maintenances", req, &out)
}

// AddSubscriber subscribes a webhook; the answer holds its secret.
func (c *Client) AddSubscriber(ctx context.Context, req SubscriberRequest) (*Subscriber, error) {
	var out Subscriber
	return &out, c.do(ctx, http.MethodPost, "subscribers", req, &out)
}

// Subscribers lists the webhook subscriptions, without their secrets.
func (c *Client) Subscribers(ctx context.Context) ([]Subscriber, error) {
	var out Subscribers
	return out.Subscribers, c.do(ctx, http.MethodGet, "subscribers", nil, &out)
}

// RemoveSubscriber removes subscription id.
func (c *Client) RemoveSubscriber(ctx context.Context, id string) error {
	return c.do(ctx, http.MethodDelete, "subscribers/"+url.PathEscape(id), nil, nil)
}

// do sends in (nil for no body) to the admin path and decodes the answer
// into out (nil to ignore it).
func (c *Client) do(ctx context.Context, method, path string, in, out any) error {
	base, err := url.Parse(strings.TrimSuffix(c.URL, "/") + Prefix + path)
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return headroom.Errorf(headroom.EINVALID, "server: got %q, expected the URL of headroom serve, e.g. http://127.0.0.1:8080", c.URL)
	}
	var body io.Reader
	if in != nil {
		data, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("encode request: %w", err)
		}
		body = bytes.NewReader(data)
	}
	req, err := http.NewRequestWithContext(ctx, method, base.String(), body)
	if err != nil {
		return fmt.Errorf("admin request: %w", err)
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Authorization", "Bearer "+c.Token)
	hc := c.HTTP
	if hc == nil {
		hc = &http.Client{Timeout: DefaultClientTimeout}
	}
	resp, err := hc.Do(req)
	if err != nil {
		return &headroom.Error{Code: headroom.EUNAVAILABLE, Message: fmt.Sprintf("cannot reach the admin API at %s (is headroom serve running there?)", c.URL), Err: err}
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	if err != nil {
		return &headroom.Error{Code: headroom.EUNAVAILABLE, Message: fmt.Sprintf("%s %s: reading the answer", method, base.Path), Err: err}
	}
	if resp.StatusCode >= 300 {
		return answerError(resp, data)
	}
	if out == nil || resp.StatusCode == http.StatusNoContent {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return &headroom.Error{Code: headroom.EINTERNAL, Message: fmt.Sprintf("%s %s: the server's answer is not the admin API's JSON", method, base.Path), Err: err}
	}
	return nil
}

// answerError turns an error answer into a *headroom.Error with the
// server's code and message.
func answerError(resp *http.Response, data []byte) error {
	var eb ErrorBody
	if err := json.Unmarshal(data, &eb); err != nil || eb.Error.Code == "" {
		// Not the admin API: a proxy, or another server on that port.
		return headroom.Errorf(codeOfStatus(resp.StatusCode), "%s %s: HTTP %d from a server that is not headroom's admin API (is --server right?)",
			resp.Request.Method, resp.Request.URL.Path, resp.StatusCode)
	}
	msg := eb.Error.Message
	if ra := resp.Header.Get("Retry-After"); resp.StatusCode == http.StatusTooManyRequests && ra != "" && !strings.Contains(msg, "retry") {
		msg += " (retry after " + ra + " s)"
	}
	return &headroom.Error{Code: eb.Error.Code, Message: msg}
}

// codeOfStatus is the headroom code of an HTTP status.
func codeOfStatus(status int) string {
	switch status {
	case http.StatusUnauthorized, http.StatusForbidden:
		return headroom.EUNAUTHORIZED
	case http.StatusNotFound:
		return headroom.ENOTFOUND
	case http.StatusConflict:
		return headroom.ECONFLICT
	case http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return headroom.EUNAVAILABLE
	}
	if status >= 400 && status < 500 {
		return headroom.EINVALID
	}
	return headroom.EINTERNAL
}
