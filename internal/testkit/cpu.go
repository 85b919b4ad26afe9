package testkit

import (
	"syscall"
	"time"
)

// CPUTime is the CPU time (user + system) the process has used so far: benchmarks report it
// beside wall time, as on a busy machine it is the steadier figure.
func CPUTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
