package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"time"

	"github.com/disputes-ledger/disputes/edge/auth"
	"github.com/disputes-ledger/disputes/events"
)

const tokensUsage = "tokens add --role ROLE --id ID [--file tokens.json] [--note TEXT]\n" +
	"       disputes tokens list [--file tokens.json] [--json]\n" +
	"       disputes tokens revoke (--token-id ID | --id ID [--role ROLE]) [--file tokens.json]"

// runTokens is `disputes tokens add|list|revoke`: manage the token file a
// running `disputes serve` reloads on change.
func runTokens(ctx context.Context, e env) error {
	if len(e.args) == 0 {
		fmt.Fprintln(e.stderr, "Usage: disputes "+tokensUsage)
		return fmt.Errorf("%w: want 'tokens add', 'tokens list' or 'tokens revoke'", errUsage)
	}
	sub := e.args[0]
	e.args = e.args[1:]
	switch sub {
	case "-h", "--help":
		fmt.Fprintln(e.stderr, "Usage: disputes "+tokensUsage+"\n\nRun 'disputes help tokens add' for a subcommand's flags.")
		return nil
	case "add":
		return runTokensAdd(ctx, e)
	case "list":
		return runTokensList(ctx, e)
	case "revoke":
		return runTokensRevoke(ctx, e)
	}
	fmt.Fprintln(e.stderr, "Usage: disputes "+tokensUsage)
	return fmt.Errorf("%w: unknown 'tokens %s'", errUsage, sub)
}

func tokenFileFlag(fs *flag.FlagSet) *string {
	return fs.String("file", envOr("DISPUTES_TOKENS", "tokens.json"), "token file; env DISPUTES_TOKENS")
}

// runTokensAdd makes a bearer token for a principal, stores its hash in the
// token file and prints the token, once.
func runTokensAdd(_ context.Context, e env) error {
	fs := newFlags(e, "tokens add", "tokens add --role ROLE --id ID [--file tokens.json] [--note TEXT]")
	file := tokenFileFlag(fs)
	role := fs.String("role", "", "buyer, merchant, agent, arbitrator, senior_arbitrator or auditor")
	id := fs.String("id", "", "the principal's id, e.g. b-1")
	note := fs.String("note", "", "a note kept beside the hash")
	if err := parseFlags(fs, e.args); err != nil {
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

// runTokensList prints each token's id, principal, creation time and note:
// never a token, and of its hash only the leading digits that name it.
func runTokensList(_ context.Context, e env) error {
	fs := newFlags(e, "tokens list", "tokens list [--file tokens.json] [--json]")
	file := tokenFileFlag(fs)
	asJSON := fs.Bool("json", false, "print JSON")
	if err := parseFlags(fs, e.args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: unexpected argument %q", errUsage, fs.Arg(0))
	}
	list, err := auth.ListTokens(*file)
	if err != nil {
		return err
	}
	return printTokens(e, list, *asJSON)
}

// runTokensRevoke removes tokens from the token file; a running server
// stops accepting them at its next reload (DefaultReloadInterval).
func runTokensRevoke(_ context.Context, e env) error {
	fs := newFlags(e, "tokens revoke", "tokens revoke (--token-id ID | --id ID [--role ROLE]) [--file tokens.json]")
	file := tokenFileFlag(fs)
	tokenID := fs.String("token-id", "", "the token to revoke, as 'tokens list' names it")
	id := fs.String("id", "", "revoke every token of this principal id")
	role := fs.String("role", "", "with --id: only the tokens of this role")
	asJSON := fs.Bool("json", false, "print the revoked tokens as JSON")
	if err := parseFlags(fs, e.args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: unexpected argument %q", errUsage, fs.Arg(0))
	}
	if (*tokenID == "") == (*id == "") || (*role != "" && *id == "") {
		return fmt.Errorf("%w: give --token-id, or --id with an optional --role", errUsage)
	}
	revoked, err := auth.RevokeTokens(*file, auth.TokenSelector{TokenID: *tokenID, Role: events.Role(*role), ID: *id})
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stderr, "revoked %d token(s) in %s; a running server stops accepting them within a second\n", len(revoked), *file)
	return printTokens(e, revoked, *asJSON)
}

func printTokens(e env, list []auth.TokenInfo, asJSON bool) error {
	if asJSON {
		if list == nil {
			list = []auth.TokenInfo{}
		}
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(list)
	}
	w := newTable(e.stdout, false)
	fmt.Fprintln(w, "TOKEN ID\tPRINCIPAL\tCREATED\tNOTE")
	for _, t := range list {
		created := "-"
		if t.CreatedAt != nil {
			created = t.CreatedAt.UTC().Format(time.RFC3339)
		}
		fmt.Fprintf(w, "%s\t%s:%s\t%s\t%s\n", t.TokenID, t.Role, t.ID, created, t.Note)
	}
	return w.Flush()
}
