package pgtest

import "syscall"

// sysProcAttr returns the attributes of a PostgreSQL process: the kernel
// kills it when the test binary dies, so that a test that times out or
// panics leaves no server behind; it runs as owner when owner is set.
func sysProcAttr(owner *account) (*syscall.SysProcAttr, error) {
	attr := &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if owner != nil {
		attr.Credential = &syscall.Credential{Uid: owner.uid, Gid: owner.gid}
	}
	return attr, nil
}

// removeSharedMemory removes System V shared memory segment id.
func removeSharedMemory(id int) error {
	const ipcRMID = 0 // IPC_RMID, <sys/ipc.h>
	if _, _, errno := syscall.Syscall(syscall.SYS_SHMCTL, uintptr(id), ipcRMID, 0); errno != 0 {
		return errno
	}
	return nil
}
