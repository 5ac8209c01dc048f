// Package sim is the ledger's deterministic simulator: the real command
// handler, two schedulers, the projections, the sealer and the API's read
// scoping, run in one process on a manual clock over SQLite behind a store
// that injects faults, under a seeded workload of honest and hostile
// parties, with the ledger's invariants checked as the run goes and at its
// end (docs/simulation.md).
//
// Everything a run does comes from its seed: the workload, every fault, and
// the order the parts are stepped in, all drawn from one math/rand/v2
// source. Nothing runs on its own: one loop steps each part, so the same
// seed makes the same run, and a failing seed replays with
// `go test ./sim -run 'TestSimulation$' -seed=N -v`.
package sim
