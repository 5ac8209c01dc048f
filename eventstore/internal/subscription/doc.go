// Package subscription is the part of eventstore.Store.Subscribe the
// backends share: the Subscription value a feeding goroutine fills and
// closes (Sub), the broadcast that wakes idle subscriptions after a commit
// (Notifier), and, for backends that can read their log with a
// ReadAll-like query, the catch-up-then-live loop and the bookkeeping that
// lets Close end every subscription (Feed).
//
// What wakes a subscription stays in each backend: SQLite's writer
// broadcasts its commits, PostgreSQL adds LISTEN/NOTIFY, KurrentDB follows a
// server-side subscription instead of a Feed.
package subscription
