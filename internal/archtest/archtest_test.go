package archtest

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// moduleRoot is the module's directory, seen from this package's.
const moduleRoot = "../.."

func loadRules(t *testing.T) Rules {
	t.Helper()
	f, err := os.Open(filepath.Join(moduleRoot, "ARCHITECTURE.md"))
	require.NoError(t, err)
	defer f.Close()
	r, err := ParseRules(f)
	require.NoError(t, err)
	return r
}

// TestArchitectureMatchesImports holds the module to ARCHITECTURE.md's
// deps block: every message names the offending package and import.
func TestArchitectureMatchesImports(t *testing.T) {
	rules := loadRules(t)
	pkgs, err := List(context.Background(), moduleRoot)
	require.NoError(t, err)
	require.NotEmpty(t, pkgs)
	for _, err := range CheckImports(rules, pkgs) {
		t.Error(err)
	}
	callErrs, err := CheckCalls(rules, pkgs)
	require.NoError(t, err)
	for _, err := range callErrs {
		t.Error(err)
	}
}

// fakeRules is a small deps block for the checker's own tests.
const fakeRules = "# Architecture\n\n```deps\n" + `
[pure]
events
domain -> events
[write]
commands -> domain
[backends]
eventstore/sqlite
[edges]
httpapi -> commands
projections -> !eventstore/sqlite   # to be removed
[wiring]
cmd/disputes -> httpapi eventstore/sqlite
` + "```\n"

// TestCheckImportsCatchesWrongWayImports feeds the checker fake graphs that
// break each rule and expects the failure, naming the import.
func TestCheckImportsCatchesWrongWayImports(t *testing.T) {
	rules, err := ParseRules(strings.NewReader(fakeRules))
	require.NoError(t, err)
	good := func() []Package {
		return []Package{
			{Path: "events", Imports: []string{"fmt", "time"}},
			{Path: "domain", Imports: []string{"events"}},
			{Path: "commands", Imports: []string{"domain"}},
			{Path: "eventstore/sqlite", Imports: []string{"os", "database/sql"}},
			{Path: "httpapi", Imports: []string{"commands", "net/http"}},
			{Path: "projections", Imports: []string{"eventstore/sqlite"}},
			{Path: "cmd/disputes", Imports: []string{"httpapi", "eventstore/sqlite"}},
		}
	}
	require.Empty(t, CheckImports(rules, good()), "the fake graph as declared")

	tests := []struct {
		name   string
		change func([]Package) []Package
		want   string
	}{
		{"import up a layer", func(p []Package) []Package { p[1].Imports = append(p[1].Imports, "commands"); return p },
			"domain imports commands, which ARCHITECTURE.md does not allow"},
		{"backend outside the wiring", func(p []Package) []Package { p[4].Imports = append(p[4].Imports, "eventstore/sqlite"); return p },
			"httpapi imports eventstore/sqlite, which ARCHITECTURE.md does not allow"},
		{"pure package does I/O", func(p []Package) []Package { p[0].Imports = append(p[0].Imports, "os"); return p },
			"pure package events imports os, which does I/O"},
		{"pure package uses the network", func(p []Package) []Package { p[1].Imports = append(p[1].Imports, "net/http"); return p },
			"pure package domain imports net/http"},
		{"allowed import gone", func(p []Package) []Package { p[2].Imports = nil; return p },
			"allows commands -> domain, which commands does not import"},
		{"package not declared", func(p []Package) []Package { return append(p, Package{Path: "newpkg"}) },
			"package newpkg is not in ARCHITECTURE.md's deps block"},
		{"declared package gone", func(p []Package) []Package { return p[:len(p)-1] },
			"declares cmd/disputes, which is not a package of the module"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			errs := CheckImports(rules, tt.change(good()))
			require.NotEmpty(t, errs)
			var msgs []string
			for _, err := range errs {
				msgs = append(msgs, err.Error())
			}
			assert.Contains(t, strings.Join(msgs, "\n"), tt.want)
		})
	}
}

// TestCheckImportsCatchesUndeclaredLayerBreak: a documented edge that
// reaches up a layer without "!" is refused too, so the block cannot
// bless a wrong-way import by listing it.
func TestCheckImportsCatchesUndeclaredLayerBreak(t *testing.T) {
	block := strings.Replace(fakeRules, "domain -> events", "domain -> events commands", 1)
	block = strings.Replace(block, "httpapi -> commands", "httpapi -> commands eventstore/sqlite", 1)
	rules, err := ParseRules(strings.NewReader(block))
	require.NoError(t, err)
	errs := CheckImports(rules, []Package{
		{Path: "events"}, {Path: "domain", Imports: []string{"events", "commands"}},
		{Path: "commands", Imports: []string{"domain"}}, {Path: "eventstore/sqlite"},
		{Path: "httpapi", Imports: []string{"commands", "eventstore/sqlite"}},
		{Path: "projections", Imports: []string{"eventstore/sqlite"}},
		{Path: "cmd/disputes", Imports: []string{"httpapi", "eventstore/sqlite"}},
	})
	require.Len(t, errs, 2)
	assert.EqualError(t, errs[0], "domain [pure] imports commands from the higher layer [write]")
	assert.EqualError(t, errs[1], "httpapi imports the concrete backend eventstore/sqlite: only [wiring] wires backends")
}

// TestCheckCallsCatchesClockAndRandomness writes a pure package that reads
// the clock and the global random source and expects each use named.
func TestCheckCallsCatchesClockAndRandomness(t *testing.T) {
	dir := t.TempDir()
	src := `package domain

import (
	"math/rand/v2"
	clock "time"

	"github.com/google/uuid"
)

func now() clock.Time { return clock.Now() }
func roll() int       { return rand.IntN(6) + rand.New(rand.NewPCG(1, 2)).IntN(6) }
func id() uuid.UUID   { return uuid.Must(uuid.NewV7()) }
var since = clock.Since
`
	require.NoError(t, os.WriteFile(filepath.Join(dir, "impure.go"), []byte(src), 0o600))
	rules, err := ParseRules(strings.NewReader(fakeRules))
	require.NoError(t, err)
	pkgs := []Package{{Path: "domain", Dir: dir, GoFiles: []string{"impure.go"}}}

	errs, err := CheckCalls(rules, pkgs)
	require.NoError(t, err)
	var msgs []string
	for _, err := range errs {
		msgs = append(msgs, err.Error())
	}
	require.Len(t, msgs, 4, "%q", msgs)
	for i, use := range []string{"clock.Now", "rand.IntN", "uuid.NewV7", "clock.Since"} {
		assert.Contains(t, msgs[i], "impure.go")
		assert.Contains(t, msgs[i], "pure package domain uses "+use)
	}

	// allow-call excuses exactly the named call.
	rules.AllowedCalls["domain"] = map[string]bool{"uuid.NewV7": true}
	errs, err = CheckCalls(rules, pkgs)
	require.NoError(t, err)
	assert.Len(t, errs, 3)

	// A package outside [pure] may read the clock.
	pkgs[0].Path = "commands"
	errs, err = CheckCalls(rules, pkgs)
	require.NoError(t, err)
	assert.Empty(t, errs)
}

// TestParseRulesRefusesBadBlocks: a malformed block is an error, not a
// silently weaker check.
func TestParseRulesRefusesBadBlocks(t *testing.T) {
	tests := []struct{ name, doc, want string }{
		{"no block", "# Architecture\n", "no ```deps block"},
		{"not closed", "```deps\n[pure]\nevents\n", "not closed"},
		{"exception without reason", "```deps\n[a]\nx\ny -> !x\n```\n", "exception !x of y has no # reason"},
		{"undeclared import", "```deps\n[a]\ny -> x\n```\n", "y -> x: x is not declared"},
		{"declared twice", "```deps\n[a]\nx\nx\n```\n", "package x declared twice"},
		{"no section", "```deps\nx\n```\n", "package x before any [section]"},
		{"no arrow", "```deps\n[a]\nx y\n```\n", `want "x -> imports…"`},
		{"allow-call outside pure", "```deps\n[a]\nx\nallow-call x time.Now # why\n```\n", "allow-call for x, which is not in [pure]"},
		{"allow-call without reason", "```deps\n[pure]\nx\nallow-call x time.Now\n```\n", "allow-call path pkg.Func"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseRules(strings.NewReader(tt.doc))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}
