//go:build !linux

package main

import "os/exec"

// dieWithParent is Linux's alone; elsewhere a harness killed on its own
// leaves the server running.
func dieWithParent(*exec.Cmd) {}
