// Package scheduler fires the ledger's deadlines. It keeps an index of every
// open ticket's deadlines, folded from the global log with the aggregate's
// own Apply (so it can never disagree with the write path about which
// deadlines are open), and when one falls due by its Clock it sends an
// expire_deadline command as events.SystemActor() through the ordinary
// command handler.
//
// # Exactly once, with any number of schedulers
//
// The command id of an expiry is commands.ExpiryCommandID(ticket, kind,
// due): the same for every scheduler that fires the same deadline. The
// handler records a command id once per ticket, and appends with optimistic
// concurrency, so when two schedulers fire together one appends and the
// other finds the command recorded (a duplicate). A scheduler whose view is
// behind the log may fire a deadline that was met meanwhile; the domain
// refuses it (deadline not open, ticket closed), which is counted as a
// refusal, not an error.
//
// # Time
//
// The scheduler and the handler must read the same Clock: RealClock in
// production, ScaledClock for demos that compress days into minutes
// (`disputes serve --clock-speed 3600`), ManualClock in tests.
//
// # Cost
//
// At start the scheduler reads the whole log once; it then follows it live.
// Memory is one folded ticket per open ticket: closed tickets are dropped.
package scheduler
