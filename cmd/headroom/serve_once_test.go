package main

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/headroomhq/headroom"
	"github.com/headroomhq/headroom/alert/alertmanager"
	"github.com/headroomhq/headroom/controller"
	"github.com/headroomhq/headroom/store/memory"
)

// serve --once, run from cron, cannot know when the next run resends a
// firing alert: it leaves endsAt out, so Alertmanager's resolve_timeout
// (set to outlast the cron period) keeps the alert firing, instead of the
// 4 minutes a running serve resends within (a */5 cron would resolve and
// fire it again every run).
func TestServeOnceLeavesEndsAtToAlertmanager(t *testing.T) {
	var mu sync.Mutex
	var posted []map[string]any
	am := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var alerts []map[string]any
		if err := json.Unmarshal(body, &alerts); err != nil {
			t.Errorf("%s: %v", r.URL.Path, err)
		}
		mu.Lock()
		posted = append(posted, alerts...)
		mu.Unlock()
	}))
	defer am.Close()
	client, err := alertmanager.NewClient(am.URL)
	if err != nil {
		t.Fatal(err)
	}
	m := &Main{Controller: controller.New(&memory.Journal{}), Alerts: alertmanager.NewSender(client), alertClient: client}
	m.Controller.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	started := time.Now().Add(-time.Minute)
	firing := headroom.Alert{Target: "web", Signal: headroom.SignalCause, Rule: "capacity", Severity: headroom.SeverityPage,
		StartsAt: started, Reason: headroom.Reason{Code: headroom.ReasonCapacityShort, Message: "capacity below need"}}
	if err := m.Alerts.Notify(t.Context(), []headroom.Alert{firing}); err != nil {
		t.Fatal(err)
	}
	if err := m.Run(t.Context(), true); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(posted) != 1 {
		t.Fatalf("Alertmanager got %d alerts, want 1: %v", len(posted), posted)
	}
	if ends, ok := posted[0]["endsAt"]; ok {
		t.Errorf("a single iteration sent endsAt %v: want none (Alertmanager's resolve_timeout applies)", ends)
	}
}
