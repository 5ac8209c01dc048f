//go:build !unix

package sqlite_test

import "time"

// processCPU is 0 where the platform does not report it (the benchmark then
// leaves out cpu_µs/event).
func processCPU() time.Duration { return 0 }
