package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// check --postmortem writes the draft the proposed policy's first violation
// would make; on a passing check it writes nothing and says so.
func TestCheckPostmortem(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "postmortem.md")
	code, _, stderr := run(t, append(exampleArgs("proposed.yaml"), "--postmortem", out)...)
	if code != ExitFail {
		t.Fatalf("exit %d, want 1\n%s", code, stderr)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	md := string(data)
	for _, want := range []string{"## Summary", "between 17:00:00 and 17:10:00 UTC", "746,801 requests failed", "night-savings",
		"headroom check --service " + example + "service.yaml --baseline " + example + "baseline.yaml --proposed " + example + "proposed.yaml"} {
		if !strings.Contains(md, want) {
			t.Errorf("draft lacks %q", want)
		}
	}

	passing := filepath.Join(dir, "none.md")
	code, _, stderr = run(t, "check", "--service", example+"service.yaml", "--proposed", example+"baseline.yaml", "--traffic", example+"traffic.csv", "--postmortem", passing)
	if code != ExitPass || !strings.Contains(stderr, "no postmortem to draft") {
		t.Fatalf("passing check: exit %d, stderr %q", code, stderr)
	}
	if _, err := os.Stat(passing); !os.IsNotExist(err) {
		t.Errorf("a passing check wrote %s", passing)
	}
}
