//go:build !unix

package exec

import (
	"os"
	osexec "os/exec"
)

// setProcessGroup leaves cmd as it is: without Unix process groups only the
// command itself is killed on timeout (os/exec's default).
func setProcessGroup(cmd *osexec.Cmd) {}

// killGroup does nothing: the process itself was waited for, and there is no
// group to kill.
func killGroup(p *os.Process) error { return nil }
