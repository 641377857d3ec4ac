package main

import (
	"os/exec"
	"syscall"
)

// dieWithParent has the kernel stop cmd with SIGTERM if the harness dies
// first, killed on its own: the server is no child that reads our stdin.
func dieWithParent(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
}
