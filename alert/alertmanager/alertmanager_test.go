package alertmanager_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/headroomhq/headroom"
	"github.com/headroomhq/headroom/alert/alertmanager"
	"github.com/headroomhq/headroom/alert/alertmanager/amtest"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// These tests run a real Alertmanager (Debian's prometheus-alertmanager)
// whose one route notifies a webhook receiver of the test after 1 s.

// waitFor polls cond every 50 ms until it holds or timeout passes.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		ok, state := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s; last seen: %s", what, timeout, state)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// alertsOf returns the alerts Alertmanager holds for target.
func alertsOf(t *testing.T, am *amtest.Server, target string) []amtest.Alert {
	t.Helper()
	alerts, err := am.Alerts(`target="` + target + `"`)
	if err != nil {
		t.Fatal(err)
	}
	return alerts
}

func TestAlertmanagerFiringThenResolved(t *testing.T) {
	bin := amtest.Binary(t)
	rcv := amtest.NewReceiver(t)
	am := amtest.Start(t, bin, amtest.Config{Webhook: rcv.URL})

	client, err := alertmanager.NewClient(am.URL)
	if err != nil {
		t.Fatal(err)
	}
	client.Labels = map[string]string{"cluster": "test"}
	client.GeneratorURL = "http://headroom.test/decisions"
	start := time.Now().Add(-30 * time.Second).Truncate(time.Second)
	fired := headroom.Alert{Target: "web", Signal: headroom.SignalCause, Rule: "capacity", Severity: headroom.SeverityPage,
		StartsAt: start, Reason: headroom.Reason{Code: "CapacityShort",
			Message: `scheduled action "night-savings" set desired 12 at 17:00 UTC; demand needs 30`}}
	if err := client.Notify(t.Context(), []headroom.Alert{fired}); err != nil {
		t.Fatalf("Notify: %v; Alertmanager's log:\n%s", err, am.Log())
	}

	// Alertmanager holds it, labels and annotations as sent.
	alerts := alertsOf(t, am, "web")
	if len(alerts) != 1 {
		t.Fatalf("GET /api/v2/alerts: got %d alerts, want 1: %+v", len(alerts), alerts)
	}
	got := alerts[0]
	for k, want := range map[string]string{"alertname": "HeadroomCause", "target": "web", "signal": "cause",
		"severity": "page", "rule": "capacity", "cluster": "test"} {
		if got.Labels[k] != want {
			t.Errorf("label %s: got %q, want %q (labels %v)", k, got.Labels[k], want, got.Labels)
		}
	}
	if got.Annotations["summary"] != fired.Reason.Message || got.Annotations["reason_code"] != "CapacityShort" ||
		got.Annotations["description"] == "" {
		t.Errorf("annotations: got %v", got.Annotations)
	}
	if !got.StartsAt.Equal(start) {
		t.Errorf("startsAt: got %v, want %v", got.StartsAt, start)
	}
	if got.Status.State != "active" || got.GeneratorURL != client.GeneratorURL {
		t.Errorf("state %q, generatorURL %q: want active, %q", got.Status.State, got.GeneratorURL, client.GeneratorURL)
	}
	// The webhook receiver is told, as PagerDuty or Slack would be.
	n := rcv.Wait(t, 15*time.Second, "firing", func(n amtest.Notification) bool { return n.Status == "firing" })
	if len(n.Alerts) != 1 || n.Alerts[0].Labels["target"] != "web" || n.Alerts[0].Annotations["summary"] != fired.Reason.Message {
		t.Errorf("firing notification: got %+v", n)
	}

	// Resolved: gone from the active alerts, and the receiver is told.
	if err := client.Notify(t.Context(), []headroom.Alert{resolvedAt(fired, time.Now())}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Second, "the resolved alert leaves GET /api/v2/alerts", func() (bool, string) {
		alerts := alertsOf(t, am, "web")
		return len(alerts) == 0, "still listed"
	})
	n = rcv.Wait(t, 15*time.Second, "resolved", func(n amtest.Notification) bool { return n.Status == "resolved" })
	if len(n.Alerts) != 1 || n.Alerts[0].Status != "resolved" || n.Alerts[0].Labels["alertname"] != "HeadroomCause" {
		t.Errorf("resolved notification: got %+v", n)
	}
}

func resolvedAt(a headroom.Alert, at time.Time) headroom.Alert {
	a.EndsAt = at
	return a
}

// Two Alertmanagers (an HA pair, not gossiping here): each gets every
// alert, as Prometheus sends them.
func TestAlertmanagerEveryMemberGetsEveryAlert(t *testing.T) {
	bin := amtest.Binary(t)
	rcv := amtest.NewReceiver(t)
	a := amtest.Start(t, bin, amtest.Config{Webhook: rcv.URL})
	b := amtest.Start(t, bin, amtest.Config{Webhook: rcv.URL})
	client, err := alertmanager.NewClient(a.URL, b.URL)
	if err != nil {
		t.Fatal(err)
	}
	fired := headroom.Alert{Target: "web", Signal: headroom.SignalBlind, Rule: "stale", Severity: headroom.SeverityTicket,
		StartsAt: time.Now().Truncate(time.Second), Reason: headroom.Reason{Code: "MetricsBlind", Message: "no demand sample for 3m"}}
	if err := client.Notify(t.Context(), []headroom.Alert{fired}); err != nil {
		t.Fatal(err)
	}
	for name, am := range map[string]*amtest.Server{"first": a, "second": b} {
		alerts := alertsOf(t, am, "web")
		if len(alerts) != 1 || alerts[0].Labels["alertname"] != "HeadroomBlind" || alerts[0].Labels["severity"] != "ticket" {
			t.Errorf("%s Alertmanager: got %+v, want the blind alert", name, alerts)
		}
	}
}

// Alertmanager down: the Client gives up with EUNAVAILABLE after its
// retries and counts them; the Sender keeps the alert and delivers it once
// Alertmanager is back on the same address.
func TestAlertmanagerDownThenBack(t *testing.T) {
	bin := amtest.Binary(t)
	rcv := amtest.NewReceiver(t)
	am := amtest.Start(t, bin, amtest.Config{Webhook: rcv.URL})
	am.Kill()

	reg := prometheus.NewRegistry()
	metrics := alertmanager.NewMetrics(reg)
	client, err := alertmanager.NewClient(am.URL)
	if err != nil {
		t.Fatal(err)
	}
	client.Retries, client.Backoff, client.MaxBackoff = 2, 10*time.Millisecond, 40*time.Millisecond
	client.Timeout = 2 * time.Second
	client.Metrics = metrics

	fired := headroom.Alert{Target: "api", Signal: headroom.SignalSymptom, Rule: "burn-1h-5m", Severity: headroom.SeverityPage,
		StartsAt: time.Now().Truncate(time.Second), Reason: headroom.Reason{Code: "ErrorBudgetBurn", Message: "burning 14.4x the budget over 1h and 5m"}}
	err = client.Notify(t.Context(), []headroom.Alert{fired})
	if got := headroom.ErrorCode(err); got != headroom.EUNAVAILABLE {
		t.Fatalf("Notify with Alertmanager down: got %q (%v), want %q", got, err, headroom.EUNAVAILABLE)
	}
	if got := testutil.ToFloat64(metrics.Errors.WithLabelValues(am.URL)); got != 3 {
		t.Errorf("headroom_alertmanager_errors_total: got %v, want 3 (1 attempt + 2 retries)", got)
	}
	if got := testutil.ToFloat64(metrics.Sends.WithLabelValues("unavailable")); got != 1 {
		t.Errorf(`headroom_alertmanager_sends_total{result="unavailable"}: got %v, want 1`, got)
	}

	sender := alertmanager.NewSender(client)
	sender.Tick, sender.RetryBackoff = 50*time.Millisecond, 100*time.Millisecond
	sender.Metrics = metrics
	sender.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- sender.Run(ctx) }()
	defer func() {
		cancel()
		<-done
	}()

	start := time.Now()
	if err := sender.Notify(t.Context(), []headroom.Alert{fired}); err != nil {
		t.Fatal(err)
	}
	if elapsed := time.Since(start); elapsed > 100*time.Millisecond {
		t.Errorf("Sender.Notify with Alertmanager down took %s", elapsed)
	}
	waitFor(t, 10*time.Second, "the Sender's failed attempts are counted", func() (bool, string) {
		n := testutil.ToFloat64(metrics.Sends.WithLabelValues("unavailable"))
		return n >= 3, fmt.Sprintf("%v unavailable sends", n)
	})
	if got := sender.Pending(); got != 1 {
		t.Fatalf("pending while Alertmanager is down: got %d, want 1", got)
	}
	if got := testutil.ToFloat64(metrics.Pending); got != 1 {
		t.Errorf("headroom_alertmanager_pending_alerts: got %v, want 1", got)
	}

	am.Restart(t)
	waitFor(t, 15*time.Second, "the alert reaches Alertmanager once it is back", func() (bool, string) {
		return len(alertsOf(t, am, "api")) == 1 && sender.Pending() == 0, "not yet"
	})
	n := rcv.Wait(t, 15*time.Second, "firing after the restart", func(n amtest.Notification) bool {
		return n.Status == "firing" && n.CommonLabels["target"] == "api"
	})
	if n.Alerts[0].Labels["alertname"] != "HeadroomSymptom" {
		t.Errorf("notification: got %+v", n)
	}
	if got := testutil.ToFloat64(metrics.Sends.WithLabelValues("ok")); got < 1 {
		t.Errorf(`headroom_alertmanager_sends_total{result="ok"}: got %v, want at least 1`, got)
	}
}
