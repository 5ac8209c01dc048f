// Package supervise keeps a process's background work running: each
// component (projector, scheduler, sealer, forwarder, …) runs under a
// Supervisor that restarts it after an error with capped, jittered
// exponential backoff, and records its state — ok, standby, starting,
// retrying or broken, with the last error — for /readyz and the metrics.
//
// A component resumes from its own checkpoint when restarted; the
// supervisor only decides when. An error marked permanent (Permanent here,
// or any error whose Permanent() method says true, as eventstore/follow's
// Broken errors do: a poison event, a tampered log) is not retried: the
// component is broken and an operator must look. Everything else — a
// dropped connection, a restarted database, a broker away, a follower
// halted by its consumer — is retried until it heals.
package supervise
