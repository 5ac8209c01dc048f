// Package policy holds every number of docs/domain.md that an operator may change:
// deadline windows, the business calendar, penalty points, the vague-deadline
// vocabulary and the counterfeit compensation multiple. A Policy is one
// versioned value; its version is recorded on the events it shaped, so that
// replay and audit use the rules in force at the time, never today's.
//
// The package is pure: it parses JSON handed to it and never reads files,
// the clock or the environment.
package policy
