//go:build !linux

package mailtest

import "os/exec"

// dieWithParent does nothing where the kernel cannot tie a child's life to
// its parent's: Stop kills the processes.
func dieWithParent(*exec.Cmd) {}
