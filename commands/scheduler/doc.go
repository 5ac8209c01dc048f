// Package scheduler fires the ledger's deadlines. It reads the deadlines
// due from a read model of the open ones (its Deadlines port, implemented
// by projections.DeadlineSource over rm_deadlines, which the domain's own
// fold keeps), and sends an expire_deadline command for each as
// events.SystemActor() through the ordinary command handler. It holds no
// ticket: each step reads the due deadlines a batch at a time, so its
// memory follows the deadlines due, not the history.
//
// # Stepping
//
// Step(ctx, now) fires every deadline due at or before now and returns
// what it did with each: tests, the demo and simulators drive it on a
// virtual clock. Run is a loop over Step at the clock's time: it sleeps
// until the next due time, and polls for deadlines the read model learnt
// of meanwhile.
//
// # A read model behind the log
//
// The read model may lag. A deadline it still lists that the ticket met,
// moved or closed meanwhile is found out when the scheduler reads the
// ticket before firing (Stale): nothing is sent, so no expiry is ever
// recorded under another deadline's command id. A deadline it does not
// list yet is fired by a later step, once it does: late, but an expiry
// takes effect at its due time however late it is recorded
// (events.Envelope.EffectiveAt), and a command on the ticket meanwhile
// records it first anyway (commands.Handler). A deadline acted on is not
// fired again while the read model still lists it.
//
// # Exactly once, with any number of schedulers
//
// The command id of an expiry is commands.ExpiryCommandID(ticket, kind,
// due): the same for every scheduler that fires the same deadline. The
// handler records a command id once per ticket, and appends with optimistic
// concurrency, so when two schedulers fire together one appends and the
// other finds the command recorded (a duplicate).
//
// # Time
//
// The scheduler and the handler must read the same Clock: RealClock in
// production, ScaledClock for demos that compress days into minutes
// (`disputes serve --clock-speed 3600`), ManualClock in tests and
// simulations.
package scheduler
