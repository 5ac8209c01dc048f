package audit

import (
	"fmt"

	"github.com/disputes-ledger/disputes/audit/checkpoint"
	"github.com/disputes-ledger/disputes/audit/merkle"
)

// TrustedCheckpoint is the checkpoint the auditor brought, as the report
// shows it.
type TrustedCheckpoint struct {
	Origin string      `json:"origin"`
	Size   uint64      `json:"size"`
	Root   merkle.Hash `json:"root"`
	// Verified is true when its signature verified with the seal key.
	Verified bool `json:"verified"`
}

// pinned reports whether the auditor named the key to trust.
func (v *Verifier) pinned() bool { return v.opts.PublicKey != nil || v.opts.KeyID != "" }

// checkTrust applies the rules that make a PASS mean something, once the
// seals are checked: a key the auditor chose, at least one seal, and the
// checkpoint the auditor holds signed by that key and matched by the
// source's seals.
func (v *Verifier) checkTrust() {
	if !v.pinned() && !v.opts.TrustOnFirstUse {
		carried := "carries no key"
		if v.report.KeyID != "" {
			carried = "carries key " + v.report.KeyID
		}
		v.fail(Finding{Check: CheckKeyNotPinned, Message: fmt.Sprintf(
			"no seal key pinned (the source %s): a forger who re-signs every seal also replaces the key; pin the ledger's key, or accept this one on first use", carried)})
	}
	if len(v.seals) == 0 && !v.opts.AllowUnsealed {
		v.fail(Finding{Check: CheckSealMissing, Message: "the source carries no seal: nothing proves the log was not rewritten whole"})
	}
	if v.opts.TrustedCheckpoint != nil {
		v.checkTrustedCheckpoint()
	}
}

// checkTrustedCheckpoint verifies the auditor's checkpoint and compares it
// with the seals. The log itself is compared as events arrive (logEvent)
// and in Finish.
func (v *Verifier) checkTrustedCheckpoint() {
	cp, err := checkpoint.Parse(v.opts.TrustedCheckpoint)
	if err != nil {
		v.fail(Finding{Check: CheckCheckpointSignature, Message: fmt.Sprintf("the trusted checkpoint cannot be read: %v", err)})
		return
	}
	v.report.Trusted = &TrustedCheckpoint{Origin: cp.Origin, Size: cp.Size, Root: cp.Root}
	if v.key == nil {
		v.fail(Finding{Check: CheckCheckpointSignature, Seal: cp.Size, Message: fmt.Sprintf(
			"the trusted checkpoint of size %d cannot be verified: no seal key", cp.Size)})
		return
	}
	if _, err := checkpoint.Open(v.opts.TrustedCheckpoint, v.key); err != nil {
		v.fail(Finding{Check: CheckCheckpointSignature, Seal: cp.Size, Message: fmt.Sprintf(
			"the trusted checkpoint of size %d is not signed by the seal key %s: %v", cp.Size, v.report.KeyID, err)})
		return
	}
	v.report.Trusted.Verified = true
	if cp.Size == 0 {
		return // the empty log: every log extends it
	}
	v.trusted = &cp

	var exact, largest *sealEntry
	for i := range v.seals {
		s := &v.seals[i]
		if !s.valid {
			continue
		}
		if s.Size == cp.Size {
			exact = s
		}
		if largest == nil || s.Size > largest.Size {
			largest = s
		}
	}
	switch {
	case exact != nil && exact.Root != cp.Root:
		v.fail(Finding{Check: CheckFork, Seal: cp.Size, Line: exact.line, Message: fmt.Sprintf(
			"the seal of size %d signs root %s, the checkpoint you hold signs %s: the ledger was forked or rewritten after you received it",
			cp.Size, exact.Root, cp.Root)})
	case exact != nil:
		// The seal chain from here on is checked by checkConsistency.
	case largest == nil || largest.Size < cp.Size:
		if !v.complete {
			newest := uint64(0)
			if largest != nil {
				newest = largest.Size
			}
			v.fail(Finding{Check: CheckRollback, Seal: cp.Size, Message: fmt.Sprintf(
				"the source's newest valid seal covers %d event(s), the checkpoint you hold covers %d: the log was rolled back or its newer seals withheld",
				newest, cp.Size)})
		}
		// A whole log says how many events it has: Finish decides between
		// a rollback and deleted seals.
		v.trustedNeedsSeal = true
	default:
		v.fail(Finding{Check: CheckSealMissing, Seal: cp.Size, Message: fmt.Sprintf(
			"the source has no seal of size %d, the size of the checkpoint you hold, which the ledger published with that seal: seals were deleted", cp.Size)})
	}
}

// trustedRoot compares the log's root at the trusted checkpoint's size with
// the checkpoint's, when the log has just reached that size.
func (v *Verifier) trustedRoot(pos uint64) {
	if v.trusted == nil || pos != v.trusted.Size || v.frontier.Size() != pos {
		return
	}
	v.trustedReached = true
	if root := v.frontier.Root(); root != v.trusted.Root {
		detail := "an event in positions 1.." + fmt.Sprint(pos) + " was altered, removed, added or moved after you received the checkpoint"
		if v.gapFrom != 0 {
			detail = fmt.Sprintf("the log is not intact from position %d on", v.gapFrom)
		}
		v.fail(Finding{Check: CheckFork, Position: pos, Seal: pos, Message: fmt.Sprintf(
			"the log's positions 1..%d have root %s, the checkpoint you hold signs %s: %s", pos, root, v.trusted.Root, detail)})
	}
}

// finishTrust reports what only the end of a whole log shows.
func (v *Verifier) finishTrust() {
	if v.trusted == nil || !v.complete {
		return
	}
	last := v.next - 1
	switch {
	case last < v.trusted.Size:
		v.fail(Finding{Check: CheckRollback, Seal: v.trusted.Size, Message: fmt.Sprintf(
			"the log ends at position %d, the checkpoint you hold covers %d event(s): the log was rolled back or truncated", last, v.trusted.Size)})
	case v.trustedNeedsSeal:
		v.fail(Finding{Check: CheckSealMissing, Seal: v.trusted.Size, Message: fmt.Sprintf(
			"the log has %d event(s) but no seal covers the %d of the checkpoint you hold: seals were deleted", last, v.trusted.Size)})
	case !v.trustedReached:
		v.fail(Finding{Check: CheckFork, Seal: v.trusted.Size, Message: fmt.Sprintf(
			"position %d, the size of the checkpoint you hold, is not in the log in order, so its root cannot be compared", v.trusted.Size)})
	}
}
