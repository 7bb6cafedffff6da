// Package alertmanager sends headroom's alerts to Prometheus Alertmanager
// over its API v2 (POST /api/v2/alerts), so that the routing users already
// have (PagerDuty, Slack, e-mail) pages them.
//
// Two types share the work:
//
//   - Client is a headroom.Notifier that POSTs alerts to every configured
//     Alertmanager (the members of an HA cluster each get every alert, as
//     Prometheus sends them), retrying each with a bounded backoff. Its
//     Notify blocks for the requests.
//   - Sender is a headroom.Notifier whose Notify never blocks: it keeps the
//     latest state of each alert and its Run goroutine delivers it through a
//     Client, resends firing alerts every Interval (Alertmanager resolves an
//     alert it has not heard of for a while), retries failed deliveries and
//     forgets a resolved alert once Alertmanager has it. The detector's loop
//     hands its alerts to a Sender and goes on.
//
// # What Alertmanager gets
//
// One postable alert per headroom.Alert
// (https://prometheus.io/docs/alerting/latest/clients/):
//
//	labels:      alertname  HeadroomCause, HeadroomSymptom or HeadroomBlind (from the signal)
//	             target, signal, severity, rule
//	             and the Client's static Labels (an alert's own labels win)
//	annotations: summary      the reason's sentence
//	             reason_code  the reason's code
//	             description  signal, target, rule, since when, and the sentence
//	startsAt:    when the rule first fired
//	endsAt:      when it reset; for a firing alert now + ValidFor (Prometheus
//	             sends 4 × its resend delay), so that Alertmanager resolves
//	             the alert by itself if headroom stops sending
//	generatorURL the Client's GeneratorURL
//
// Labels identify an alert in Alertmanager: the same target, signal, rule
// and severity is the same alert, and a change of severity is another one
// (resolve the old one).
//
// # Metrics
//
// NewMetrics registers counters the caller exposes on /metrics:
// headroom_alertmanager_sends_total{result} (Notify calls of the Client),
// headroom_alertmanager_errors_total{alertmanager} (failed requests, each
// attempt), headroom_alertmanager_alerts_sent_total and the Sender's
// headroom_alertmanager_pending_alerts (alerts whose latest state
// Alertmanager does not have yet).
//
// # Wiring
//
//	client, err := alertmanager.NewClient("http://alertmanager:9093")
//	client.Metrics = alertmanager.NewMetrics(registry)
//	sender := alertmanager.NewSender(client)
//	sender.Metrics = client.Metrics
//	go sender.Run(ctx)
//	// each loop:
//	_ = sender.Notify(ctx, alerts) // returns at once
//
// Package amtest starts a real Alertmanager for tests.
package alertmanager
