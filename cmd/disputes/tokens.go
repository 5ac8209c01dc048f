package main

import (
	"context"
	"fmt"
	"time"

	"github.com/disputes-ledger/disputes/auth"
	"github.com/disputes-ledger/disputes/events"
)

// runTokens is `disputes tokens add`: make a bearer token for a principal,
// store its hash in the token file and print the token, once.
func runTokens(_ context.Context, e env) error {
	if len(e.args) == 0 || e.args[0] != "add" {
		fmt.Fprintln(e.stderr, "Usage: disputes tokens add --role ROLE --id ID [--file tokens.json] [--note TEXT]")
		return fmt.Errorf("%w: want 'tokens add'", errUsage)
	}
	fs := newFlags(e, "tokens add", "tokens add --role ROLE --id ID [--file tokens.json] [--note TEXT]")
	file := fs.String("file", envOr("DISPUTES_TOKENS", "tokens.json"), "token file; env DISPUTES_TOKENS")
	role := fs.String("role", "", "buyer, merchant, agent, arbitrator, senior_arbitrator or auditor")
	id := fs.String("id", "", "the principal's id, e.g. b-1")
	note := fs.String("note", "", "a note kept beside the hash")
	if err := parseFlags(fs, e.args[1:]); err != nil {
		return err
	}
	if *role == "" || *id == "" {
		return fmt.Errorf("%w: --role and --id are required", errUsage)
	}
	token, err := auth.AddToken(*file, auth.Principal{Role: events.Role(*role), ID: *id}, *note, time.Now())
	if err != nil {
		return err
	}
	fmt.Fprintln(e.stdout, token)
	fmt.Fprintf(e.stderr, "token for %s:%s added to %s; only its SHA-256 is stored, so keep the token now\n", *role, *id, *file)
	return nil
}
