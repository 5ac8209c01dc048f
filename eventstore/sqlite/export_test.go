package sqlite

// CommitStats returns how many transactions the store's writer committed
// and how many appends they answered, for benchmarks to report batch sizes.
func CommitStats(s *Store) (commits, appends uint64) {
	return s.stats.Commits.Load(), s.stats.Appends.Load()
}
