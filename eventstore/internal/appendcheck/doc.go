// Package appendcheck holds the decisions eventstore.Store.Append makes the
// same way in every backend: which requests no store state could accept
// (Rules), whether events carry the revisions a stream's head gives them,
// and, for an append the store did not write as asked, whether it is an
// idempotent retry, an ID used elsewhere or a concurrency conflict
// (FindStored, Explain).
//
// How a backend learns a stream's head and where an ID is stored — SQL
// inside the write transaction, a batch's lookups, KurrentDB's index — stays
// in the backend and reaches this package as a Head and a Lookup.
package appendcheck
