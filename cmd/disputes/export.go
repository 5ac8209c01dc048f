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

func runExport(ctx context.Context, e env) error {
	fs := newFlags(e, "export", "export [--db PATH | --store URL] [--out FILE] [--ticket ID | --merchant ID | --from TIME --to TIME] [--public-key FILE]")
	var sf storeFlags
	sf.register(fs)
	var pf pinFlags
	fs.StringVar(&pf.file, "public-key", "", "seal public key to include, PEM (default: the key stored with the latest seal)")
	out := fs.String("out", "-", "bundle file, - for stdout")
	ticket := fs.String("ticket", "", "export one ticket")
	merchant := fs.String("merchant", "", "export one merchant's tickets")
	from := fs.String("from", "", "with --to: export the tickets with an event in [from, to) (RFC 3339)")
	to := fs.String("to", "", "end of the time range, exclusive (RFC 3339)")
	if err := parseFlags(fs, e.args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: unexpected arguments %q", errUsage, fs.Args())
	}
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
