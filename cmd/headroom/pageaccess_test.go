package main

import (
	"crypto/sha256"
	"encoding/hex"
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

// A private component from headroom.yaml, through serve's handler on a
// real server: hidden from the public, shown with the viewer token made by
// `headroom token viewer` (its entry pasted into the file as printed), and
// to a user named by the proxy trusted on loopback.
func TestServePrivateComponent(t *testing.T) {
	code, stdout, stderr := run(t, "token", "viewer", "staff")
	token := strings.TrimSpace(stdout)
	sum := sha256.Sum256([]byte(token))
	entry := "      - {name: staff, sha256: " + hex.EncodeToString(sum[:]) + "}\n"
	if code != 0 || !strings.HasPrefix(token, "hrv_") || len(token) != 4+43 || !strings.HasSuffix(stderr, entry) {
		t.Fatalf("token viewer: exit %d, stdout %q, stderr %q; want a token and the entry %q", code, stdout, stderr, entry)
	}
	if code, _, stderr := run(t, "token", "viewer", "{a: b}"); code != 2 || !strings.Contains(stderr, "Try: headroom token viewer") {
		t.Errorf("token viewer with a name breaking YAML: exit %d, %q; want 2 and a hint", code, stderr)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "headroom.yaml")
	os.WriteFile(path, []byte(`apiVersion: headroom.dev/v1alpha1
kind: Config
spec:
  dataDir: data
  page:
    name: Private Parts
    access:
      tokens:
`+entry+`      proxy: {header: X-Auth-Request-User, trusted: [127.0.0.0/8, "::1"]}
    components:
    - name: Website
    - name: Internal ledger
      private: true
`), 0o644)
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	m, err := OpenMain(t.Context(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	srv := httptest.NewServer(m.handler())
	defer srv.Close()
	read := func(path string, header ...string) string {
		t.Helper()
		req, _ := http.NewRequest("GET", srv.URL+path, nil)
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.Status + "\n" + string(b)
	}
	for _, p := range []string{"/", "/api/v2/components.json", "/api/v2/summary.json"} {
		if got := read(p); !strings.HasPrefix(got, "200") || !strings.Contains(got, "Website") || strings.Contains(got, "Internal ledger") || strings.Contains(got, "internal-ledger") {
			t.Errorf("public %s: %.300q, want 200 with Website and not the ledger", p, got)
		}
		for _, header := range [][]string{{"Authorization", "Bearer " + token}, {"X-Auth-Request-User", "ada"}} {
			if got := read(p, header...); !strings.HasPrefix(got, "200") || !strings.Contains(got, "Internal ledger") {
				t.Errorf("%s with %s: %.300q, want 200 with the ledger", p, header[0], got)
			}
		}
	}
}
