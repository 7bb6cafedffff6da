package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"
)

func TestVersionLine(t *testing.T) {
	vcs := func(kv ...string) []debug.BuildSetting {
		var s []debug.BuildSetting
		for i := 0; i < len(kv); i += 2 {
			s = append(s, debug.BuildSetting{Key: kv[i], Value: kv[i+1]})
		}
		return s
	}
	tests := []struct {
		name          string
		info          *debug.BuildInfo
		version, rev  string
		want, notWant string
	}{
		{
			name: "go install of a tag",
			info: &debug.BuildInfo{Main: debug.Module{Path: "github.com/headroomhq/headroom", Version: "v0.3.1"}},
			want: "headroom v0.3.1 (revision unknown: built without VCS information)",
		},
		{
			name: "a build in a checkout: pseudo-version and commit",
			info: &debug.BuildInfo{Main: debug.Module{Version: "v0.0.0-20261207005323-3d68e7f0c2a1+dirty"},
				Settings: vcs("vcs", "git", "vcs.revision", "3d68e7f0c2a1b2c3d4e5f60718293a4b5c6d7e8f", "vcs.time", "2026-12-07T00:53:23Z", "vcs.modified", "true")},
			want: "headroom v0.0.0-20261207005323-3d68e7f0c2a1+dirty (revision 3d68e7f0c2a1, 2026-12-07T00:53:23Z, modified)",
		},
		{
			name:    "no VCS information, the commit passed at link time (a container build)",
			info:    &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}},
			version: "v0.3.1", rev: "3d68e7f0c2a1b2c3",
			want: "headroom v0.3.1 (revision 3d68e7f0c2a1)",
		},
		{
			name:    "no build info at all",
			want:    "headroom (devel) (revision unknown",
			notWant: "dev ",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := versionLine(tt.info, tt.version, tt.rev)
			if !strings.HasPrefix(got, tt.want) || (tt.notWant != "" && strings.Contains(got, tt.notWant)) {
				t.Errorf("versionLine = %q, want it to start with %q", got, tt.want)
			}
		})
	}
}

// A binary built in the git checkout says which commit it is: the build
// info's vcs.revision, as `git rev-parse HEAD` has it.
func TestVersionOfABuiltBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	git, err := exec.LookPath("git")
	if err != nil {
		t.Skip("no git")
	}
	head, err := exec.Command(git, "rev-parse", "HEAD").Output()
	if err != nil {
		t.Skipf("not in a git checkout: %v", err)
	}
	bin := filepath.Join(t.TempDir(), "headroom")
	build := exec.Command("go", "build", "-buildvcs=true", "-o", bin, ".")
	build.Env = append(os.Environ(), "GOFLAGS=")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	out, err := exec.Command(bin, "version").Output()
	if err != nil {
		t.Fatal(err)
	}
	want := "(revision " + strings.TrimSpace(string(head))[:12]
	if !strings.HasPrefix(string(out), "headroom v") || !strings.Contains(string(out), want) {
		t.Errorf("headroom version = %q, want a module version and %q", out, want)
	}
}
