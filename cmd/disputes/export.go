package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/disputes-ledger/disputes/audit"
	"github.com/disputes-ledger/disputes/audit/bundle"
	"github.com/disputes-ledger/disputes/domain/policy"
)

// exportCmd is `disputes export`.
type exportCmd struct {
	storeFlags
	PublicKey string `name:"public-key" placeholder:"FILE" help:"seal public key to include, PEM (default: the key stored with the latest seal)"`
	Out       string `name:"out" default:"-" placeholder:"FILE" help:"bundle file, - for stdout"`
	Ticket    string `name:"ticket" placeholder:"ID" help:"export one ticket"`
	Merchant  string `name:"merchant" placeholder:"ID" help:"export one merchant's tickets"`
	From      string `name:"from" placeholder:"TIME" help:"with --to: export the tickets with an event in [from, to) (RFC 3339)"`
	To        string `name:"to" placeholder:"TIME" help:"end of the time range, exclusive (RFC 3339)"`
}

func (c *exportCmd) Run(ctx context.Context, e env) error {
	sf, pf := c.storeFlags, pinFlags{PublicKey: c.PublicKey}
	out, ticket, merchant, from, to := &c.Out, &c.Ticket, &c.Merchant, &c.From, &c.To
	scope, err := exportScope(*ticket, *merchant, *from, *to)
	if err != nil {
		return err
	}
	pols, err := knownPolicies(&sf)
	if err != nil {
		return err
	}
	pub, err := pf.load()
	if err != nil {
		return err
	}
	raw, err := sf.openAudit(ctx)
	if err != nil {
		return err
	}
	defer raw.Close()

	var w io.Writer = e.stdout
	var file *os.File
	if *out != "-" {
		if file, err = os.Create(*out); err != nil {
			return fmt.Errorf("create bundle: %w", err)
		}
		w = file
	}
	sum, err := bundle.Export(ctx, w, bundle.Source{Log: raw, Seals: raw, Policies: pols, PublicKey: pub}, scope, time.Now())
	if file != nil {
		if cerr := file.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("close bundle: %w", cerr)
		}
		if err != nil {
			// Half a bundle would only fail verification later, confusingly.
			err = errors.Join(err, os.Remove(*out))
		}
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stderr, "exported %s: %d event(s) of %d ticket(s), %d seal(s), log size %d, policies %s\n",
		scope, sum.Events, sum.Tickets, sum.Seals, sum.LogSize, strings.Join(sum.Policies, ", "))
	if !sum.Complete {
		fmt.Fprintf(e.stderr, "%d event(s) carry an inclusion proof\n", sum.Proven)
	}
	if len(sum.MissingPolicies) > 0 {
		fmt.Fprintf(e.stderr, "warning: policy version(s) %s are not known here (pass --policy FILE); the verifier will report them\n", strings.Join(sum.MissingPolicies, ", "))
	}
	if sum.Seals == 0 {
		fmt.Fprintln(e.stderr, "warning: the ledger has no seal yet (run 'disputes seal'); nothing in the bundle proves the log was not rewritten")
	}
	return nil
}

// exportScope turns the flags into a scope.
func exportScope(ticket, merchant, from, to string) (bundle.Scope, error) {
	s := bundle.Scope{Kind: bundle.ScopeAll}
	set := 0
	if ticket != "" {
		s, set = bundle.Scope{Kind: bundle.ScopeTicket, Ticket: ticket}, set+1
	}
	if merchant != "" {
		s, set = bundle.Scope{Kind: bundle.ScopeMerchant, Merchant: merchant}, set+1
	}
	if from != "" || to != "" {
		f, ferr := time.Parse(time.RFC3339, from)
		t, terr := time.Parse(time.RFC3339, to)
		if ferr != nil || terr != nil {
			return s, fmt.Errorf("%w: --from and --to take RFC 3339 times, both", errUsage)
		}
		s, set = bundle.Scope{Kind: bundle.ScopeRange, From: &f, To: &t}, set+1
	}
	if set > 1 {
		return s, fmt.Errorf("%w: choose one of --ticket, --merchant, --from/--to", errUsage)
	}
	if err := s.Validate(); err != nil {
		return s, fmt.Errorf("%w: %v", errUsage, err)
	}
	return s, nil
}

// knownPolicies are the policy versions this ledger may have run under: the
// built-in default and the one --policy names.
func knownPolicies(sf *storeFlags) (audit.PolicySet, error) {
	pol, err := sf.loadPolicy()
	if err != nil {
		return nil, err
	}
	return audit.NewPolicySet(policy.Default(), pol), nil
}
