package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/headroomhq/headroom/statuspage/admin"
)

// TestWriterKeepsOneConnection posts updates to a fake admin API until it
// has seen five, and holds the writer to what bench/statuspage.sh needs of
// it: one incident, updates numbered in order on it, resolved when the
// writer stops, the updates over one keep-alive connection (the curl it
// replaces opened one per update). The stop cancels the last update on its
// way, which closes that connection: the resolve may take another.
func TestWriterKeepsOneConnection(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var (
		mu       sync.Mutex
		clients  = map[string]bool{} // the updates' client addresses
		bodies   []string
		resolved int
	)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer secret" {
			http.Error(w, "bad token", http.StatusUnauthorized)
			return
		}
		switch r.URL.Path {
		case admin.Prefix + "incidents":
			json.NewEncoder(w).Encode(map[string]string{"id": "inc1"})
		case admin.Prefix + "incidents/inc1/updates":
			var u admin.UpdateRequest
			if err := json.NewDecoder(r.Body).Decode(&u); err != nil {
				t.Errorf("update body: %v", err)
			}
			mu.Lock()
			clients[r.RemoteAddr] = true
			bodies = append(bodies, u.Body)
			if len(bodies) == 5 {
				cancel()
			}
			mu.Unlock()
			json.NewEncoder(w).Encode(map[string]string{"id": "inc1"})
		case admin.Prefix + "incidents/inc1/resolve":
			mu.Lock()
			resolved++
			mu.Unlock()
			json.NewEncoder(w).Encode(map[string]string{"id": "inc1"})
		default:
			t.Errorf("unexpected request %s %s", r.Method, r.URL.Path)
			http.NotFound(w, r)
		}
	}))
	srv.Start()
	defer srv.Close()

	w := &Writer{Client: &admin.Client{URL: srv.URL, Token: "secret", HTTP: srv.Client()}, Every: time.Millisecond, Component: "c"}
	sum, err := w.Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if sum.Updates < 4 || sum.Updates > 5 || sum.Failed != 0 {
		// The fifth may be cancelled on its way back.
		t.Errorf("got %d updates, %d failed; want 4 or 5 and none failed", sum.Updates, sum.Failed)
	}
	for i, b := range bodies {
		if want := "Update " + string(rune('1'+i)) + ": still investigating."; b != want {
			t.Errorf("update %d: got body %q, want %q", i+1, b, want)
		}
	}
	if resolved != 1 {
		t.Errorf("incident resolved %d times, want once", resolved)
	}
	if len(clients) != 1 {
		t.Errorf("updates came over %d connections, want 1 (keep-alive)", len(clients))
	}
}

// TestReadWritesNothing is the control run's writer: it GETs the path at
// the writer's pace over one connection, sends nothing else, and counts a
// server error as a failure.
func TestReadWritesNothing(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var (
		mu      sync.Mutex
		clients = map[string]bool{}
		reads   int
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet || r.URL.Path != "/api/v2/status.json" {
			t.Errorf("unexpected request %s %s", r.Method, r.URL.Path)
		}
		mu.Lock()
		defer mu.Unlock()
		clients[r.RemoteAddr] = true
		reads++
		switch reads {
		case 2:
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		case 5:
			cancel()
		}
		w.Write([]byte(`{"status":{}}`))
	}))
	defer srv.Close()

	w := &Writer{Client: &admin.Client{URL: srv.URL, Token: "secret", HTTP: srv.Client()}, Every: time.Millisecond}
	sum, err := w.Read(ctx, srv.URL+"/api/v2/status.json")
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if sum.Failed != 1 || sum.Updates < 3 || sum.Updates > 4 || !sum.Reads {
		t.Errorf("got %+v; want 3 or 4 reads, the 503 failed, Reads set", sum)
	}
	if len(clients) != 1 {
		t.Errorf("reads came over %d connections, want 1 (keep-alive)", len(clients))
	}
}
