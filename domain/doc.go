// Package domain is the ticket aggregate: every rule of docs/domain.md as pure Go.
//
// Decide takes the current state, a command, the acting party, the time the
// command is handled and the policy in force, and returns the events that
// record it, or a typed refusal. Apply folds one recorded event into the
// state and never fails: it only transcribes what Decide already validated.
// Nothing here reads the clock, the disk or the network.
//
// # Checking recorded history
//
// Auditors ask the same rules, not a copy of them. CheckDecision takes the
// state before a recorded decision (the events one command appended: one
// command id), rebuilds the command from its first event (CommandOf),
// decides it again with Decide as the recorded actor at the recorded time
// under the policy of the recorded version (DecisionPolicy), and requires the
// recorded events to be exactly what Decide returns. A refusal comes back as
// the refusal Decide gives (ErrRoleNotAllowed, ErrSameArbitrator,
// *DeadlineNotDueError, …); a computed field that differs — a due time, a
// late or vague flag, an amount, what an expiry caused — as ErrNotAsDecided
// naming the field; both inside an *IllegalEventError naming the event.
//
// Re-deciding rather than re-checking keeps each rule in one place: a guard
// or a computed field exists only in Decide, so a rule changed there is the
// rule the audit applies, and nothing can drift. The one thing written
// twice is CommandOf, the shape of each command's first event read back;
// a field it forgot would make Decide record something else, which the
// property test (every sequence Decide produces passes the check) catches.
package domain
