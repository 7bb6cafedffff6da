package browsertest

import (
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"
)

// group starts cmd in a process group of its own and makes its cancel
// kill the whole group: Chromium forks a zygote, renderers and a crash
// handler that outlive its main process when only that is killed, and
// keep writing to the profile while the test removes it.
func group(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return killGroup(cmd) }
	cmd.WaitDelay = 5 * time.Second
}

// killGroup kills cmd's process group, if it started.
func killGroup(cmd *exec.Cmd) error {
	if cmd.Process == nil {
		return nil
	}
	return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
}

// profile is a fresh user-data-dir, removed after the test once the
// browser's last process let go of it. Regression: t.TempDir's removal
// failed the test with "directory not empty" when a lingering Chromium
// process wrote into it during the removal.
func profile(t testing.TB) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "headroom-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		var err error
		for range 50 {
			if err = os.RemoveAll(dir); err == nil {
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
		t.Logf("left the browser's profile %s: %v", dir, err)
	})
	return dir
}
