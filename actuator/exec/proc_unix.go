//go:build unix

package exec

import (
	"errors"
	"os"
	osexec "os/exec"
	"syscall"
)

// setProcessGroup makes cmd the leader of a new process group and has ctx
// cancellation kill the whole group, so children the command started (a
// wrapper script's `aws`, a background job) die with it.
func setProcessGroup(cmd *osexec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return killGroup(cmd.Process) }
}

// killGroup sends SIGKILL to the process group led by p. The group ID
// cannot be reused while any member of the group is alive.
func killGroup(p *os.Process) error {
	if p == nil {
		return nil
	}
	if err := syscall.Kill(-p.Pid, syscall.SIGKILL); err != nil {
		if errors.Is(err, syscall.ESRCH) {
			return os.ErrProcessDone // nothing left: not an error for exec
		}
		return err
	}
	return nil
}
