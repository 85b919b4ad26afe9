//go:build unix

package store

import (
	"errors"
	"syscall"
)

// processExists reports whether a process with this id runs on this host. Signal 0 checks
// without sending anything; EPERM means it exists but belongs to another user.
func processExists(pid int) bool {
	if pid <= 0 { // 0 and negative ids mean process groups to kill(2), never one process
		return true // unknown: leave it to the heartbeat
	}
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
