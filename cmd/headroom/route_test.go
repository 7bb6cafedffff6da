package main

import (
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/headroomhq/headroom/config"
)

// The status page is routed ahead of the mux (statusFirst): every other
// route, and the mux's redirects of unclean paths, still answer as the mux
// makes them.
func TestStatusPageAheadOfTheMux(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "headroom.yaml")
	os.WriteFile(path, []byte("apiVersion: headroom.dev/v1alpha1\nkind: Config\nspec:\n  dataDir: data\n  page:\n    name: Routing\n    components:\n    - name: API\n"), 0o644)
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	m, err := OpenMain(t.Context(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	h := m.handler()
	for _, c := range []struct {
		name, method, path string
		code               int
		// want is in the body, or in Location for a redirect.
		want string
	}{
		{"the status page", "GET", "/", 200, "Routing Status"},
		{"the public API", "GET", "/api/v2/components.json", 200, `"name":"API"`},
		{"an unknown path is the page's 404", "GET", "/nothing", 404, "There is no page at this address."},
		{"the admin API", "GET", "/api/admin/incidents", 401, ""},
		{"the admin prefix without its slash", "GET", "/api/admin", 307, "/api/admin/"},
		{"the decisions page", "GET", "/decisions/", 200, "web"},
		{"the decisions prefix without its slash", "GET", "/decisions", 307, "/decisions/"},
		{"metrics", "GET", "/metrics", 200, "go_goroutines"},
		{"metrics by POST", "POST", "/metrics", 405, ""},
		{"liveness", "GET", "/healthz", 200, "ok"},
		{"readiness", "GET", "/readyz", 200, "ready"},
		{"an unclean path is cleaned", "GET", "/api//v2/status.json", 307, "/api/v2/status.json"},
		{"a dot segment is cleaned", "GET", "/incidents/../history", 307, "/history"},
	} {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest(c.method, "http://status.test"+c.path, nil)
		h.ServeHTTP(rec, req)
		got := rec.Body.String()
		if rec.Code/100 == 3 {
			got = rec.Header().Get("Location")
		}
		if rec.Code != c.code || !strings.Contains(got, c.want) {
			t.Errorf("%s: %s %s: %d %.200q, want %d with %q", c.name, c.method, c.path, rec.Code, got, c.code, c.want)
		}
	}
}
