// Package storebench compares the event-store backends in one benchmark run:
// each benchmark measures the PostgreSQL store and then the SQLite store on
// the same workload, and reports the rates of both and their ratio, because
// absolute numbers on a shared machine drift between runs. It holds only
// benchmarks; see BENCHMARKS.md for the commands and results.
package storebench
