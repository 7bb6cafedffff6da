//go:build linux

package main

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// spec.page.language reaches the page serve publishes: a Japanese
// headroom.yaml gives Japanese pages, badge and widget.
func TestServeInTheConfiguredLanguage(t *testing.T) {
	dir := t.TempDir()
	cfg := strings.Replace(seedPage, "    name: Atlassian Bitbucket\n", "    name: Atlassian Bitbucket\n    language: ja-JP\n", 1)
	if err := os.WriteFile(filepath.Join(dir, "headroom.yaml"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	client, _ := startPage(t, dir, "", "serve-ja")
	for _, tc := range []struct{ path, want string }{
		{"/", `<html lang="ja">`},
		{"/", "すべてのシステムが正常に稼働中"},
		{"/history", "インシデント履歴"},
		{"/badge.svg", `aria-label="ステータス: 正常"`},
		{"/widget.svg", "すべてのシステムが正常に稼働中"},
	} {
		res, err := http.Get(client.URL + tc.path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusOK || !strings.Contains(string(body), tc.want) {
			t.Errorf("%s: %d, want %q in:\n%.600s", tc.path, res.StatusCode, tc.want, body)
		}
	}
}
