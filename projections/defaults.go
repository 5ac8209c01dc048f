package projections

import (
	"context"

	"github.com/disputes-ledger/disputes/domain/policy"
	"github.com/disputes-ledger/disputes/eventstore"
)

// Default returns the ledger's read models over db: ticket status, merchant
// penalties, the audit trail, and the open deadlines the scheduler fires. Penalties are scored under the version
// each event recorded: pol's or the built-in policy.Default() (the versions
// an auditor is given too), pol's for a ticket that recorded none.
func Default(db *DB, pol policy.Policy) []Projection {
	return []Projection{NewTicketStatus(db), NewMerchantPenalties(db, pol, policy.Default()), NewAuditTrail(db), NewDeadlines(db)}
}

// RunToHead brings the default read models in db up to the head of the
// store's global log and returns what it did.
func RunToHead(ctx context.Context, store eventstore.Store, db *DB, pol policy.Policy) (Report, error) {
	return NewProjector(store, db, Default(db, pol), Options{}).Run(ctx)
}
