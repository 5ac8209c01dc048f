// Package scenarios holds scripted and generated dispute scenarios: the five
// cases of the seed documents (Seeds) and any number of random but valid
// tickets (Generate). Tests, golden files, the demo command and benchmarks
// share them.
//
// A Scenario is self-contained: every deadline expiry it relies on appears as
// an explicit step by the system actor at the time the deadline falls due, so
// playing its steps in order through the aggregate (Play) needs no scheduler.
//
// The package is pure: it never reads the clock, the disk or the network, and
// the same arguments always give the same scenarios.
package scenarios
