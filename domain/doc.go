// Package domain is the ticket aggregate: every rule of DOMAIN.md as pure Go.
//
// Decide takes the current state, a command, the acting party, the time the
// command is handled and the policy in force, and returns the events that
// record it, or a typed refusal. Apply folds one recorded event into the
// state and never fails: it only transcribes what Decide already validated.
// Nothing here reads the clock, the disk or the network.
package domain
