// Package groupcommit is the append queue of the backends that write
// through one writer goroutine (SQLite, PostgreSQL): Append checks a
// request, copies its events and waits in a Queue; the writer takes every
// request queued so far into one batch, hands it to the backend's commit
// function — one transaction — and answers each caller after it returns.
// With Run the commit gets the batch complete; with RunBatches it takes
// the requests as they join (Batch), so the writer can write the first
// ones while the rest of the batch's callers are on their way back.
//
// What a batch's transaction does, and what makes it durable, stays in the
// backend. The queue only decides which requests share it:
//
//   - a batch takes every request already queued, up to Config.MaxBatch,
//     without waiting for more;
//   - with Config.Linger set, a batch waits up to Linger until it holds as
//     many requests as there are known callers — the previous batch's, just
//     answered, and those whose requests queued while it committed — so
//     that concurrent writers share one commit instead of splitting into
//     cohorts that alternate between smaller ones;
//   - with Config.Yield set, the writer first lets the other runnable
//     appenders queue up (runtime.Gosched), which costs nothing with one
//     writer and fills batches with many;
//   - a batch short of its callers lets the runnable ones queue up
//     (runtime.Gosched) before it waits for them, so that the writer is
//     not woken by each of them in turn.
package groupcommit
