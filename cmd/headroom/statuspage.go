package main

import (
	"context"
	_ "embed"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/headroomhq/headroom/config"
	"github.com/headroomhq/headroom/incident"
	"github.com/headroomhq/headroom/statuspage"
	"github.com/headroomhq/headroom/statuspage/admin"
	"github.com/headroomhq/headroom/statuspage/webhook"
)

// defaultConfig is what `headroom serve` runs without a headroom.yaml: a
// status page of its own and no autoscaling target.
//
//go:embed default.yaml
var defaultConfig []byte

// StatusPage is the status page serve runs: the rules over the store, the
// public pages, the admin API, and the Runner that keeps the page current,
// starts maintenance and delivers webhooks.
type StatusPage struct {
	Service *incident.Service
	Public  *statuspage.Handler
	Admin   http.Handler
	Runner  *statuspage.Runner
	// Site is what the page's addresses answer: Public with the
	// subscription pages (statuspage.Subscriptions) in front.
	Site http.Handler
	// Metrics collects the components' system metrics for Public; nil
	// when no component shows one.
	Metrics *statuspage.Collector
}

// openStatusPage builds the status page of cfg on db and renders its first
// snapshot; holder names this process in the status page's lease.
func openStatusPage(ctx context.Context, cfg *config.Config, db Store, holder string, log *slog.Logger) (*StatusPage, error) {
	p := cfg.Page
	ic := incident.Config{Store: db, Page: incident.Page{ID: p.ID, Name: p.Name, URL: p.URL, TimeZone: p.TimeZone},
		Text: statuspage.MarkdownText}
	for i, g := range p.Groups {
		ic.Groups = append(ic.Groups, incident.Group{ID: g.ID, Name: g.Name, Description: g.Description, Position: i + 1})
	}
	for i, c := range p.Components {
		ic.Components = append(ic.Components, incident.Component{ID: c.ID, Name: c.Name, Description: c.Description, GroupID: c.Group, Position: i + 1})
	}
	svc, err := incident.NewService(ctx, ic)
	if err != nil {
		return nil, fmt.Errorf("status page: %w", err)
	}
	public := statuspage.New()
	public.Logger = log
	public.Language = p.Language
	public.Access = pageAccess(p)
	mailer, err := smtpSender(p)
	if err != nil {
		return nil, err
	}
	site := &statuspage.Subscriptions{Next: public, Store: db, Enabled: mailer != nil, Logger: log}
	admOpts := []admin.Option{admin.WithLogger(log), admin.WithPrivateWebhooks(p.AllowPrivateWebhooks)}
	if len(p.TrustedProxies) > 0 {
		// Behind reverse proxies: the per-client limits by the client the
		// proxies name, not the proxy.
		client := statuspage.ForwardedClient(p.TrustedProxies)
		site.ClientIP = client
		admOpts = append(admOpts, admin.WithClientIP(client))
	}
	site.Publish(svc.Snapshot())
	svc.OnSnapshot = site.Publish
	// Subscribers at internal addresses only with spec.page.webhooks.allowPrivate.
	runner := statuspage.NewRunner(svc, &webhook.Worker{Store: db, Logger: log, AllowPrivate: p.AllowPrivateWebhooks, Mailer: mailer}, db, holder)
	runner.Logger = log
	adm := admin.New(svc, db, admOpts...)
	return &StatusPage{Service: svc, Public: public, Site: site, Admin: adm, Runner: runner, Metrics: systemMetrics(p, public, log)}, nil
}
