package bundle

// SetPrepareWorkers sets how many goroutines prepare event lines (0: the
// default) and returns the previous setting, for benchmarks.
func SetPrepareWorkers(n int) int {
	old := prepareWorkers
	prepareWorkers = n
	return old
}
