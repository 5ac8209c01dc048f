package bundle

// SetPrepareWorkers sets how many goroutines prepare event lines (0: the
// default) and returns the previous setting, for benchmarks.
func SetPrepareWorkers(n int) int {
	old := prepareWorkers
	prepareWorkers = n
	return old
}

// SetArenaSize sets the size of the arenas lines are read into and returns
// the previous one, for tests of lines across arenas.
func SetArenaSize(n int) int {
	old := arenaSize
	arenaSize = n
	return old
}
