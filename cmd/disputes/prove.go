package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/google/uuid"

	"github.com/disputes-ledger/disputes/audit/proof"
	"github.com/disputes-ledger/disputes/events"
)

// proveCmd is `disputes prove`.
type proveCmd struct {
	storeFlags
	Seal        uint64 `name:"seal" placeholder:"SIZE" help:"prove against the seal of this size (default: the latest)"`
	Consistency uint64 `name:"consistency" placeholder:"FROM" help:"prove that the seal --seal (default: the latest) extends the seal of this size"`
	Out         string `name:"out" default:"-" placeholder:"FILE" help:"proof file, - for stdout"`
	EventID     string `arg:"" optional:"" name:"event-id" help:"the event to prove included (without --consistency)"`
}

func (c *proveCmd) Run(ctx context.Context, e env) error {
	sf, sealSize, from, out := c.storeFlags, &c.Seal, &c.Consistency, &c.Out
	var doc any
	switch {
	case *from > 0 && c.EventID == "":
		raw, err := sf.openAudit(ctx)
		if err != nil {
			return err
		}
		defer raw.Close()
		if doc, err = proof.ProveConsistency(ctx, raw, raw, *from, *sealSize); err != nil {
			return err
		}
	case *from == 0 && c.EventID != "":
		id, err := uuid.Parse(c.EventID)
		if err != nil {
			return fmt.Errorf("%w: EVENT_ID %q is not a UUID", errUsage, c.EventID)
		}
		raw, err := sf.openAudit(ctx)
		if err != nil {
			return err
		}
		defer raw.Close()
		if doc, err = proof.ProveEvent(ctx, raw, raw, id, *sealSize); err != nil {
			return err
		}
	default:
		return fmt.Errorf("%w: give one EVENT_ID, or --consistency FROM", errUsage)
	}
	data, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return err
	}
	data = append(data, '\n')
	if *out == "-" {
		_, err = e.stdout.Write(data)
		return err
	}
	return os.WriteFile(*out, data, 0o644)
}

// verifyProofCmd is `disputes verify-proof`.
type verifyProofCmd struct {
	pinFlags
	JSON bool   `name:"json" help:"print the result as JSON"`
	File string `arg:"" optional:"" placeholder:"FILE|-" help:"the proof, - for stdin"`
}

func (c *verifyProofCmd) Run(_ context.Context, e env) error {
	pf, asJSON := c.pinFlags, &c.JSON
	if c.File == "" {
		return fmt.Errorf("%w: give one proof FILE, or - for stdin", errUsage)
	}
	pub, err := pf.load()
	if err != nil {
		return err
	}
	var r io.Reader = e.stdin
	if c.File != "-" {
		f, err := os.Open(c.File)
		if err != nil {
			return fmt.Errorf("open proof: %w", err)
		}
		defer f.Close()
		r = f
	}
	doc, err := io.ReadAll(r)
	if err != nil {
		return fmt.Errorf("read proof: %w", err)
	}
	v, err := proof.Verify(doc, pub)
	if err != nil {
		return fmt.Errorf("%w: %w", errVerifyFailed, err)
	}
	if pf.KeyID != "" && v.KeyID != pf.KeyID {
		return fmt.Errorf("%w: the proof is signed by %s, not the pinned key %s", errVerifyFailed, v.KeyID, pf.KeyID)
	}
	v.KeyPinned = v.KeyPinned || pf.KeyID != ""
	if *asJSON {
		out := struct {
			proof.Verified
			Ticket   string `json:"ticket,omitempty"`
			Type     string `json:"type,omitempty"`
			EventID  string `json:"event_id,omitempty"`
			Revision uint64 `json:"revision,omitempty"`
		}{Verified: v}
		if v.Event != nil {
			out.Ticket, out.Type, out.EventID, out.Revision = events.TicketOf(v.Event.Stream), v.Event.Type, v.Event.ID.String(), v.Event.Revision
		}
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	pin := "pinned"
	if !v.KeyPinned {
		pin = "NOT pinned: the document's own key; pass --public-key or --key-id"
	}
	if v.Event != nil {
		fmt.Fprintf(e.stdout, "OK  event %s (%s, ticket %s revision %d, at %s)\n    is at position %d of the log sealed at size %d\n    root %s, sealed %s\n    key %s (%s)\n",
			v.Event.ID, v.Event.Type, events.TicketOf(v.Event.Stream), v.Event.Revision, v.Event.OccurredAt.Format(time.RFC3339),
			v.Position, v.Seal.Size, v.Seal.Root, v.Seal.SealedAt.Format(time.RFC3339), v.KeyID, pin)
		return nil
	}
	fmt.Fprintf(e.stdout, "OK  the log sealed at size %d (root %s) extends the log sealed at size %d (root %s)\n    key %s (%s)\n",
		v.New.Size, v.New.Root, v.Old.Size, v.Old.Root, v.KeyID, pin)
	return nil
}
