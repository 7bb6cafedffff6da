//go:build !linux

package pgtest

import (
	"errors"
	"syscall"
)

// sysProcAttr returns no attributes where the kernel cannot tie a child's
// life to its parent's: cleanup stops the server. Running the server as
// another user is only done on Linux.
func sysProcAttr(owner *account) (*syscall.SysProcAttr, error) {
	if owner != nil {
		return nil, errors.New("as root, PostgreSQL must run as another user, which pgtest only does on Linux: run the tests as an ordinary user")
	}
	return nil, nil
}

// removeSharedMemory leaves the segment: ipcrm removes it.
func removeSharedMemory(int) error { return nil }
