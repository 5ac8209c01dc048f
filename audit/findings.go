package audit

import (
	"cmp"
	"slices"
)

// Check names one verification. They are stable: reports, scripts and tests
// match on them.
type Check string

// The checks, grouped as docs/audit.md describes them.
const (
	// Integrity of the bundle and the log.
	CheckBundleFormat   Check = "bundle_format"   // a line of the bundle is not a record of the format
	CheckPublicKey      Check = "public_key"      // the bundle's key is not the key the auditor pinned
	CheckEventHash      Check = "event_hash"      // an event's bytes do not decode, or its hash does not match its content
	CheckLogGap         Check = "log_gap"         // global positions are missing
	CheckLogOrder       Check = "log_order"       // a position repeats or goes backwards
	CheckOutsideLog     Check = "outside_log"     // an event is stored at a position the global log never reaches (0 or below, or none)
	CheckChain          Check = "chain"           // a ticket's revisions or prev_hash links are broken
	CheckTicketOpen     Check = "ticket_open"     // a ticket's first event is not the request that opens it
	CheckColumnMismatch Check = "column_mismatch" // the id, stream, revision or type the ledger stores beside an event disagree with its bytes

	// Seals and proofs.
	CheckSealSignature   Check = "seal_signature"   // a seal's signature or key does not verify
	CheckSealRoot        Check = "seal_root"        // the log's Merkle root at a seal's size is not the signed root
	CheckSealConsistency Check = "seal_consistency" // a later seal does not extend an earlier one
	CheckInclusion       Check = "inclusion"        // an event's inclusion proof does not verify

	// Trust: what the auditor brought.
	CheckKeyNotPinned        Check = "key_not_pinned"       // no key pinned and trust on first use not asked for
	CheckSealMissing         Check = "seal_missing"         // no seals at all, or not the seal the trusted checkpoint was made from
	CheckRollback            Check = "rollback"             // the log or its seals end before the trusted checkpoint's size
	CheckFork                Check = "fork"                 // the log or a seal has another root at the trusted checkpoint's size
	CheckCheckpointSignature Check = "checkpoint_signature" // the trusted checkpoint is not signed by the seal key

	// Legality under the policy recorded on the events: what domain.CheckDecision
	// refuses, named by the rule and the event concerned.
	CheckPolicyUnknown    Check = "policy_unknown"    // an event names a policy version the verifier does not have
	CheckPolicyHash       Check = "policy_hash"       // the policy document given for a version is not the one the events recorded the SHA-256 of
	CheckDeadlineSchedule Check = "deadline_schedule" // a stored due time is not what the policy and calendar give
	CheckDeadlineExpiry   Check = "deadline_expiry"   // a deadline fired that was not open, not due, or not by the system
	CheckClosedTicket     Check = "closed_ticket"     // an event recorded after the ticket closed
	CheckEvidenceState    Check = "evidence_state"    // evidence recorded when the ticket was not taking evidence
	CheckMessageVague     Check = "message_vague"     // a message's vague-deadline flag is not what the policy gives
	CheckRulingRole       Check = "ruling_role"       // a ruling by someone who is not an arbitrator
	CheckRulingState      Check = "ruling_state"      // a ruling on a ticket that was not under review
	CheckRulingEvidence   Check = "ruling_evidence"   // a ruling citing evidence not on record before it
	CheckRulingTerms      Check = "ruling_terms"      // a ruling's outcome, liability or amounts break the rules
	CheckRulingLate       Check = "ruling_late"       // a ruling's late flag disagrees with its SLA deadline
	CheckAppealFiled      Check = "appeal_filed"      // an appeal filed with no ruling, twice or after its window
	CheckAppealRole       Check = "appeal_role"       // an appeal decided by someone other than another senior arbitrator
	CheckAppealState      Check = "appeal_state"      // an appeal decided with no appeal pending
	CheckAppealTerms      Check = "appeal_terms"      // an appeal decision's terms break the rules
	CheckRulingFinalized  Check = "ruling_finalized"  // the final terms are not the ruling's as decided on appeal
	CheckEventActor       Check = "event_actor"       // an event by someone whose role or party may not issue its command (no check above applies)
	CheckEventRules       Check = "event_rules"       // an event the rules did not allow, or not as they decide it (no check above applies)
)

// Finding is one failed check, located as exactly as the check allows.
type Finding struct {
	Check Check `json:"check"`
	// Position is the event's global position, 0 when the finding is about
	// a seal or the bundle as a whole.
	Position uint64 `json:"position,omitempty"`
	// Ticket is the ticket id, "" when not about a ticket.
	Ticket string `json:"ticket,omitempty"`
	// Revision is the event's revision in its ticket's stream.
	Revision *uint64 `json:"revision,omitempty"`
	// Seal is the size of the seal concerned, 0 when none.
	Seal uint64 `json:"seal,omitempty"`
	// Line is the bundle line, 0 for a live ledger.
	Line    int    `json:"line,omitempty"`
	Message string `json:"message"`
}

// Report is the outcome of a verification.
type Report struct {
	// Source names what was verified: a bundle file or a ledger.
	Source string `json:"source"`
	// Scope is the bundle's scope ("all" for a live ledger).
	Scope string `json:"scope"`
	// Complete is true when the events are the whole log from position 1,
	// so seal roots are recomputed; false when each event is proven by an
	// inclusion proof instead.
	Complete bool `json:"complete"`
	// KeyID is the fingerprint of the key seals were verified with, and
	// KeyPinned whether the auditor supplied it (rather than the bundle).
	KeyID     string `json:"key_id"`
	KeyPinned bool   `json:"key_pinned"`

	Events   int      `json:"events"`
	Tickets  int      `json:"tickets"`
	Rulings  int      `json:"rulings"`
	Appeals  int      `json:"appeals"`
	Seals    int      `json:"seals"`
	Policies []string `json:"policies"`
	// LastPosition is the largest position verified; SealedSize the size of
	// the largest seal whose signature verified.
	LastPosition uint64 `json:"last_position"`
	SealedSize   uint64 `json:"sealed_size"`

	// Trusted is the checkpoint the auditor brought, nil if none.
	Trusted *TrustedCheckpoint `json:"trusted_checkpoint,omitempty"`

	Findings []Finding `json:"findings"`
	// Omitted counts findings beyond Options.MaxFindings, not listed.
	Omitted int `json:"omitted,omitempty"`
	// Counts is the number of findings per check, listed or not.
	Counts map[Check]int `json:"counts,omitempty"`
	// Warnings are limits of what could be checked; they do not fail it.
	Warnings []string `json:"warnings"`
}

// OK reports whether every check passed.
func (r *Report) OK() bool { return len(r.Findings) == 0 && r.Omitted == 0 }

// Has reports whether the report has a finding of check.
func (r *Report) Has(c Check) bool { return r.Counts[c] > 0 }

// Of returns the listed findings of check.
func (r *Report) Of(c Check) []Finding {
	var out []Finding
	for _, f := range r.Findings {
		if f.Check == c {
			out = append(out, f)
		}
	}
	return out
}

func (r *Report) sortFindings() {
	// Seal and bundle findings (position 0) first, then by position, keeping
	// the order found within one position.
	slices.SortStableFunc(r.Findings, func(a, b Finding) int { return cmp.Compare(a.Position, b.Position) })
}
