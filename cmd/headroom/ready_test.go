package main

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/headroomhq/headroom/config"
)

// Regression test for /healthz saying ok while every write failed on a
// corrupt database: /readyz reads the store and says 503 when it does not
// answer; /healthz, liveness, stays ok.
func TestReadyzTouchesTheStore(t *testing.T) {
	cfg, err := config.Load(writeServeConfig(t))
	if err != nil {
		t.Fatal(err)
	}
	m, err := OpenMain(t.Context(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	h := m.handler()
	get := func(path string) (int, string) {
		t.Helper()
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		return rec.Code, rec.Body.String()
	}
	if code, body := get("/readyz"); code != http.StatusOK || body != "ready\n" {
		t.Fatalf("/readyz on a good store: %d %q", code, body)
	}
	// Corrupt the database under the open store: the file and its
	// write-ahead log and its index overwritten with garbage, as a bad
	// disk would.
	file := filepath.Join(cfg.DataDir, config.DefaultDatabaseFile)
	for _, name := range []string{file, file + "-wal", file + "-shm"} {
		fi, err := os.Stat(name)
		if err != nil {
			t.Fatal(err)
		}
		f, err := os.OpenFile(name, os.O_WRONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		f.WriteAt([]byte(strings.Repeat("garbage!", int(fi.Size()/8)+1)), 0)
		f.Close()
	}
	if err := m.DB.SaveState(t.Context(), "web", "probe", []byte("{}")); err == nil {
		t.Fatal("a write to the corrupt store worked: the test corrupts nothing")
	}
	if code, body := get("/readyz"); code != http.StatusServiceUnavailable || !strings.Contains(body, "not ready") {
		t.Errorf("/readyz on a corrupt store: %d %q, want 503", code, body)
	}
	if code, _ := get("/healthz"); code != http.StatusOK {
		t.Errorf("/healthz: %d, want 200 (liveness)", code)
	}
}

// Regression test for a 0-byte headroom.db that was not new silently
// starting an empty status page with no tokens: serve refuses it, naming
// the file and the flag that accepts it.
func TestServeRefusesAnEmptyDatabaseFile(t *testing.T) {
	cfgPath := writeServeConfig(t)
	cfg, err := config.Load(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(cfg.DataDir, config.DefaultDatabaseFile)
	os.MkdirAll(cfg.DataDir, 0o755)
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := run(t, "serve", "--config", cfgPath, "--once")
	if code != ExitInvalid || !strings.Contains(stderr, file+" exists but is empty (0 bytes)") || !strings.Contains(stderr, "--allow-empty-db") {
		t.Fatalf("exit %d, stderr %q: want 2, the file and --allow-empty-db", code, stderr)
	}
	if fi, _ := os.Stat(file); fi.Size() != 0 {
		t.Errorf("the refused file was written: %d bytes", fi.Size())
	}
	if code, out, stderr := run(t, "serve", "--config", cfgPath, "--once", "--allow-empty-db"); code != ExitPass {
		t.Errorf("--allow-empty-db: exit %d\n%s%s", code, out, stderr)
	}
	// A new database (no file yet) needs no flag.
	os.Remove(file)
	if code, out, stderr := run(t, "serve", "--config", cfgPath, "--once"); code != ExitPass {
		t.Errorf("new database: exit %d\n%s%s", code, out, stderr)
	}
}
