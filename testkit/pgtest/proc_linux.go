package pgtest

import "syscall"

// sysProcAttr puts the child in its own process group, so that Stop can kill
// postgres and all its backends at once and a Ctrl-C in the terminal reaches
// only the test binary, and asks the kernel to send deathSig to the child when
// the thread that started it exits. Go sets the parent-death signal after
// switching credentials (a credential change would clear it), so it works
// together with cred.
func sysProcAttr(cred *syscall.Credential, deathSig syscall.Signal) *syscall.SysProcAttr {
	return &syscall.SysProcAttr{
		Setpgid:    true,
		Credential: cred,
		Pdeathsig:  deathSig,
	}
}
