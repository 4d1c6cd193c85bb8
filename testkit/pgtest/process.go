package pgtest

import (
	"os/exec"
	"runtime"
)

// process is a child process together with the result of waiting for it.
type process struct {
	cmd  *exec.Cmd
	done chan struct{} // closed once the process has exited and been reaped
	err  error         // the result of cmd.Wait, valid once done is closed
}

// startProcess starts cmd and reaps it in the background.
//
// Linux sends the parent-death signal (Pdeathsig) when the *thread* that
// forked the child exits, not when the process does. The Go runtime retires
// threads now and then (a goroutine that exits while locked to its thread
// takes the thread with it), so a child started from an ordinary goroutine
// could be killed halfway through a test run. Starting it from a goroutine
// locked to its thread, which then blocks in Wait, keeps that thread alive
// exactly as long as the child; the thread is discarded once the child is
// gone, which is harmless.
func startProcess(cmd *exec.Cmd) (*process, error) {
	p := &process{cmd: cmd, done: make(chan struct{})}
	started := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		if err := cmd.Start(); err != nil {
			started <- err
			return
		}
		started <- nil
		p.err = cmd.Wait()
		close(p.done)
	}()
	if err := <-started; err != nil {
		return nil, err
	}
	return p, nil
}

// exited reports whether the process has already exited.
func (p *process) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}
