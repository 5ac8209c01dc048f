// Package policy holds every number of docs/domain.md that an operator may change:
// deadline windows, the business calendar, penalty points, the vague-deadline
// vocabulary and the counterfeit compensation multiple. A Policy is one
// versioned value; its version is recorded on the events it shaped, so that
// replay and audit use the rules in force at the time, never today's.
//
// Beside the numbers it holds the penalty rules that use them, in one place
// (penalty.go): which fact earns how many points (Penalties.PointsFor),
// which appeal decision reverses a ruling's points (ReversesRuling), the
// score window and the review flag. The penalty projection calls them.
//
// The package is pure: it parses JSON handed to it and never reads files,
// the clock or the environment.
package policy
