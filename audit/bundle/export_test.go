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

// SetAfterBatch has f run once the lines of each batch are checked, and
// returns what restores the hook before.
func SetAfterBatch(f func()) (restore func()) {
	old := afterBatch
	afterBatch = f
	return func() { afterBatch = old }
}
