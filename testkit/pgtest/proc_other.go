//go:build unix && !linux

package pgtest

import "syscall"

// sysProcAttr puts the child in its own process group, so that Stop can kill
// postgres and all its backends at once. Outside Linux there is no
// parent-death signal: a postgres left by a killed test binary must be
// stopped by hand.
func sysProcAttr(cred *syscall.Credential, _ syscall.Signal) *syscall.SysProcAttr {
	return &syscall.SysProcAttr{
		Setpgid:    true,
		Credential: cred,
	}
}
