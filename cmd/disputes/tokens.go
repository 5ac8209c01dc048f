package main

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/disputes-ledger/disputes/edge/auth"
	"github.com/disputes-ledger/disputes/events"
)

// tokensCmd is `disputes tokens add|list|revoke`: manage the token file a
// running `disputes serve` reloads on change.
type tokensCmd struct {
	Add    tokensAddCmd    `cmd:"" help:"make a bearer token for a principal and print it, once"`
	List   tokensListCmd   `cmd:"" help:"list the tokens: ids, principals, creation times and notes, never a token"`
	Revoke tokensRevokeCmd `cmd:"" help:"remove tokens from the token file"`
}

// tokenFileFlag is the token file every tokens subcommand works on.
type tokenFileFlag struct {
	File string `name:"file" default:"tokens.json" env:"DISPUTES_TOKENS" placeholder:"FILE" help:"token file"`
}

// runTokensAdd makes a bearer token for a principal, stores its hash in the
// token file and prints the token, once.
type tokensAddCmd struct {
	tokenFileFlag
	Role string `name:"role" help:"buyer, merchant, agent, arbitrator, senior_arbitrator or auditor"`
	ID   string `name:"id" help:"the principal's id, e.g. b-1"`
	Note string `name:"note" placeholder:"TEXT" help:"a note kept beside the hash"`
}

func (c *tokensAddCmd) Run(_ context.Context, e env) error {
	file, role, id, note := &c.File, &c.Role, &c.ID, &c.Note
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
type tokensListCmd struct {
	tokenFileFlag
	JSON bool `name:"json" help:"print JSON"`
}

func (c *tokensListCmd) Run(_ context.Context, e env) error {
	file, asJSON := &c.File, &c.JSON
	list, err := auth.ListTokens(*file)
	if err != nil {
		return err
	}
	return printTokens(e, list, *asJSON)
}

// runTokensRevoke removes tokens from the token file; a running server
// stops accepting them at its next reload (DefaultReloadInterval).
type tokensRevokeCmd struct {
	tokenFileFlag
	TokenID string `name:"token-id" help:"the token to revoke, as 'tokens list' names it"`
	ID      string `name:"id" help:"revoke every token of this principal id"`
	Role    string `name:"role" help:"with --id: only the tokens of this role"`
	JSON    bool   `name:"json" help:"print the revoked tokens as JSON"`
}

func (c *tokensRevokeCmd) Run(_ context.Context, e env) error {
	file, tokenID, id, role, asJSON := &c.File, &c.TokenID, &c.ID, &c.Role, &c.JSON
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
