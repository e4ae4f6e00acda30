//go:build unix

package history

import (
	"errors"
	"syscall"
)

// processAlive reports whether a process with this PID exists (signal 0,
// POSIX kill(2)); EPERM means it exists but belongs to someone else.
func processAlive(pid int) bool {
	if pid <= 0 {
		return false
	}
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
