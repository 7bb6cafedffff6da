package main

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/headroomhq/headroom"
	"github.com/headroomhq/headroom/incident"
	"github.com/headroomhq/headroom/statuspage/admin"
	"github.com/headroomhq/headroom/store/sqlite"
)

const pageConfig = `apiVersion: headroom.dev/v1alpha1
kind: Config
spec:
  page:
    name: Bitbucket
    url: https://bitbucket.status.example.com
    components:
    - {id: website, name: Website and API}
`

// The token commands on the store of a real config (SQLite in its data
// directory), and the tokens they make checked by a real admin API on that
// store.
func TestTokenCommands(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "headroom.yaml")
	if err := os.WriteFile(cfg, []byte(pageConfig), 0o644); err != nil {
		t.Fatal(err)
	}

	code, out, errOut := run(t, "token", "create", "ci-deploy", "--config", cfg)
	if code != 0 {
		t.Fatalf("create: exit %d\n%s%s", code, out, errOut)
	}
	if !regexp.MustCompile(`^hr_[A-Za-z0-9_-]{43}\n$`).MatchString(out) {
		t.Errorf("create printed %q, want the token alone on a line", out)
	}
	secret := strings.TrimSpace(out)
	m := regexp.MustCompile(`created token ([a-z0-9]{12}) \("ci-deploy"\)`).FindStringSubmatch(errOut)
	if m == nil {
		t.Fatalf("create said %q on stderr, want the token's id", errOut)
	}
	id := m[1]
	if data, _ := os.ReadFile(filepath.Join(dir, "data", "headroom.db")); strings.Contains(string(data), secret) {
		t.Error("the database holds the token's secret")
	}

	code, out, errOut = run(t, "token", "create", "laptop", "--config", cfg)
	if code != 0 {
		t.Fatalf("create: exit %d\n%s%s", code, out, errOut)
	}
	code, out, errOut = run(t, "token", "list", "--config", cfg)
	if code != 0 || !strings.Contains(out, id+"  ci-deploy") || !strings.Contains(out, "laptop") || strings.Contains(out, "hr_") {
		t.Errorf("list: exit %d\n%s%s", code, out, errOut)
	}

	// A serve on the same file takes the token, then refuses it once
	// revoked (this server reads the tokens on every request).
	db, err := sqlite.Open(t.Context(), filepath.Join(dir, "data", "headroom.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	svc, err := incident.NewService(context.Background(), incident.Config{Store: db, Page: incident.Page{Name: "Bitbucket"},
		Components: []incident.Component{{ID: "website", Name: "Website and API"}}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(admin.New(svc, db, admin.WithTokenCache(0, 0), admin.WithLogger(slog.New(slog.DiscardHandler))))
	defer srv.Close()
	c := &admin.Client{URL: srv.URL, Token: secret}
	if _, err := c.Subscribers(context.Background()); err != nil {
		t.Errorf("the admin API refused the new token: %v", err)
	}

	code, out, errOut = run(t, "token", "revoke", id, "--config", cfg)
	if code != 0 || !strings.Contains(out, "revoked token "+id) {
		t.Errorf("revoke: exit %d\n%s%s", code, out, errOut)
	}
	if _, err := c.Subscribers(context.Background()); headroom.ErrorCode(err) != headroom.EUNAUTHORIZED {
		t.Errorf("the admin API with a revoked token: got %v, want unauthorized", err)
	}
	code, out, _ = run(t, "token", "list", "--config", cfg)
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, id) && strings.HasSuffix(strings.TrimSpace(line), "-") {
			t.Errorf("list shows the revoked token as active: %q", line)
		}
	}

	tests := []struct {
		name string
		args []string
		want string
	}{
		{"revoke an unknown token", []string{"token", "revoke", "nosuchtoken", "--config", cfg}, `no token "nosuchtoken"`},
		{"create without a name", []string{"token", "create", "--config", cfg}, "takes 1 argument(s), got 0"},
		{"create with a blank name", []string{"token", "create", " ", "--config", cfg}, "token name:"},
		{"list before any serve", []string{"token", "list", "--config", filepath.Join(t.TempDir(), "headroom.yaml")}, "headroom.yaml"},
	}
	other := filepath.Join(t.TempDir(), "headroom.yaml")
	os.WriteFile(other, []byte(pageConfig), 0o644)
	tests = append(tests, struct {
		name string
		args []string
		want string
	}{"list on a store never made", []string{"token", "list", "--config", other}, "does not exist"})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := run(t, tt.args...)
			if code != ExitInvalid || !strings.Contains(errOut, tt.want) {
				t.Errorf("exit %d, stderr %q; want %d and %q\n%s", code, errOut, ExitInvalid, tt.want, out)
			}
		})
	}
}
