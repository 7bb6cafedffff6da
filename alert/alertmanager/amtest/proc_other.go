//go:build !linux

package amtest

import "os/exec"

// dieWithParent does nothing where the kernel cannot tie a child's life to
// its parent's: cleanup kills the process.
func dieWithParent(*exec.Cmd) {}
