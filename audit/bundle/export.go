package bundle

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"time"

	"github.com/disputes-ledger/disputes/audit"
	"github.com/disputes-ledger/disputes/audit/merkle"
	"github.com/disputes-ledger/disputes/events"
	"github.com/disputes-ledger/disputes/eventstore"
)

// Source is what an export reads.
type Source struct {
	// Log is the global log. Use a reader that does not stop at gaps (such
	// as sqliteaudit's) to export a damaged ledger for the verifier to judge.
	Log audit.Log
	// Seals holds the seals to include: all of them.
	Seals audit.SealStore
	// Policies are the versions the ledger has run under; those the chosen
	// events name are included.
	Policies audit.PolicySet
	// PublicKey is the seal key to include. When nil, the key stored with
	// the latest seal is used.
	PublicKey ed25519.PublicKey
}

// Summary describes a finished export.
type Summary struct {
	Scope    Scope
	Complete bool
	LogSize  uint64
	Events   int
	Tickets  int
	Seals    int
	// Proven counts events carrying an inclusion proof (partial bundles).
	Proven int
	// Policies are the versions included; MissingPolicies those the events
	// name but Source.Policies lacks (the verifier will report them).
	Policies        []string
	MissingPolicies []string
}

// Export writes a bundle of the events scope selects, read from src, dated
// now. The log is read twice: once to build the Merkle tree and choose the
// tickets, once to write their events; events appended in between are left
// out.
func Export(ctx context.Context, w io.Writer, src Source, scope Scope, now time.Time) (Summary, error) {
	if err := scope.Validate(); err != nil {
		return Summary{}, err
	}
	sum := Summary{Scope: scope, Complete: scope.Complete()}
	sel, err := survey(ctx, src.Log, scope)
	if err != nil {
		return sum, fmt.Errorf("export %s: %w", scope, err)
	}
	sum.LogSize, sum.Events, sum.Tickets = sel.logSize, sel.events, len(sel.streams)

	seals, err := src.Seals.Seals(ctx)
	if err != nil {
		return sum, fmt.Errorf("export %s: %w", scope, err)
	}
	pub := src.PublicKey
	if pub == nil && len(seals) > 0 {
		pub = seals[len(seals)-1].PublicKey
	}

	bw := NewWriter(w)
	if err := bw.Header(Header{CreatedAt: now.UTC(), Scope: scope, Complete: sum.Complete, LogSize: sel.logSize,
		Events: sel.events, Tickets: len(sel.streams)}); err != nil {
		return sum, err
	}
	if pub != nil {
		if err := bw.PublicKey(pub); err != nil {
			return sum, err
		}
	}
	for _, v := range slices.Sorted(maps.Keys(sel.policies)) {
		p, ok := src.Policies[v]
		if !ok {
			sum.MissingPolicies = append(sum.MissingPolicies, v)
			continue
		}
		if err := bw.Policy(p); err != nil {
			return sum, err
		}
		sum.Policies = append(sum.Policies, v)
	}
	for _, s := range seals {
		if err := bw.Seal(s.Seal); err != nil {
			return sum, err
		}
	}
	sum.Seals = len(seals)

	// A partial bundle proves each event against the latest seal the tree
	// reaches, and links the seals with consistency proofs.
	var target uint64
	if !sum.Complete {
		var prev uint64
		for _, s := range seals {
			if s.Size > sel.tree.Size() {
				break
			}
			if prev > 0 && prev < s.Size {
				proof, err := sel.tree.ConsistencyProof(prev, s.Size)
				if err != nil {
					return sum, fmt.Errorf("export %s: %w", scope, err)
				}
				if err := bw.Consistency(prev, s.Size, proof); err != nil {
					return sum, err
				}
			}
			prev, target = s.Size, s.Size
		}
	}

	err = audit.ScanLog(ctx, src.Log, 0, sel.logSize, func(rec eventstore.RecordedEvent) error {
		if !sum.Complete && !sel.streams[sel.streamOf[rec.Position]] {
			return nil
		}
		var proof *audit.InclusionProof
		if !sum.Complete && target > 0 && rec.Position <= target {
			idx, ok := sel.index[rec.Position]
			if ok {
				hashes, err := sel.tree.InclusionProof(idx, target)
				if err != nil {
					return fmt.Errorf("prove position %d: %w", rec.Position, err)
				}
				proof = &audit.InclusionProof{Seal: target, Hashes: hashes}
				sum.Proven++
			}
		}
		// The columns travel only when they disagree with the bytes: the
		// verifier then reports what the ledger's readers were shown.
		var columns *audit.Columns
		if eventstore.CheckColumns(&rec) != nil {
			c := audit.ColumnsOf(rec)
			columns = &c
		}
		return bw.Event(rec.Position, rec.Data, proof, columns)
	})
	if err != nil {
		return sum, fmt.Errorf("export %s: %w", scope, err)
	}
	return sum, bw.Flush()
}

// selection is what the first pass learns.
type selection struct {
	logSize  uint64
	tree     *merkle.Tree
	streams  map[string]bool   // chosen streams
	streamOf map[uint64]string // stream of each position (partial scopes only)
	index    map[uint64]uint64 // leaf index of each position (partial scopes only)
	events   int
	policies map[string]bool
}

// survey reads the whole log once: it builds the tree (leaf i is the i-th
// event read, so a log with gaps gives proofs the verifier will refuse, as
// it should) and chooses the streams in scope.
func survey(ctx context.Context, log audit.Log, scope Scope) (*selection, error) {
	sel := &selection{tree: &merkle.Tree{}, streams: map[string]bool{}, policies: map[string]bool{}}
	partial := !scope.Complete()
	if partial {
		sel.streamOf, sel.index = map[uint64]string{}, map[uint64]uint64{}
	}
	perStream := map[string][]string{} // policy versions each stream names
	counts := map[string]int{}
	err := audit.ScanLog(ctx, log, 0, 0, func(rec eventstore.RecordedEvent) error {
		leaf, err := audit.LeafOf(rec.Data)
		if err != nil {
			leaf = merkle.LeafHash(rec.Data) // no hash member: the verifier reports the event
		}
		if partial {
			sel.index[rec.Position] = sel.tree.Size()
		}
		sel.tree.Append(leaf)
		sel.logSize = rec.Position

		env, derr := events.Decode(rec.Data)
		stream, at := env.Stream, env.OccurredAt
		if derr != nil {
			stream, at = lenientStream(rec.Data)
		}
		counts[stream]++
		if partial {
			sel.streamOf[rec.Position] = stream
		}
		if derr == nil {
			if stamp, ok := events.PolicyStampOf(env.Payload); ok && stamp.Version != "" && !slices.Contains(perStream[stream], stamp.Version) {
				perStream[stream] = append(perStream[stream], stamp.Version)
			}
		}
		switch scope.Kind {
		case ScopeAll:
			sel.streams[stream] = true
		case ScopeTicket:
			sel.streams[stream] = sel.streams[stream] || stream == events.StreamFor(scope.Ticket)
		case ScopeMerchant:
			if open, ok := env.Payload.(events.RefundRequested); ok && derr == nil && env.Revision == 0 && open.MerchantID == scope.Merchant {
				sel.streams[stream] = true
			}
		case ScopeRange:
			if !at.IsZero() && !at.Before(*scope.From) && at.Before(*scope.To) {
				sel.streams[stream] = true
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for s, chosen := range sel.streams {
		if !chosen {
			delete(sel.streams, s)
			continue
		}
		sel.events += counts[s]
		for _, v := range perStream[s] {
			sel.policies[v] = true
		}
	}
	if partial && len(sel.streams) == 0 {
		return nil, fmt.Errorf("%w: no ticket in %s", ErrNothingToExport, scope)
	}
	return sel, nil
}

// ErrNothingToExport is returned (wrapped) by Export when a partial scope
// selects no ticket.
var ErrNothingToExport = errors.New("nothing to export")

func lenientStream(data []byte) (string, time.Time) {
	var probe struct {
		Stream     string    `json:"stream"`
		OccurredAt time.Time `json:"occurred_at"`
	}
	_ = json.Unmarshal(data, &probe) // a zero result selects the event for scope all only
	return probe.Stream, probe.OccurredAt
}
