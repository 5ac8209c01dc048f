package commands_test

import (
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/commands"
	"github.com/disputes-ledger/disputes/domain"
	"github.com/disputes-ledger/disputes/internal/archtest"
)

// classifiedByUnwrap are typed errors classify.go need not name: each
// unwraps to a sentinel it does name, which Classify proves below.
var classifiedByUnwrap = map[string]error{
	"domain.ContradictionError": &domain.ContradictionError{Fields: []string{"a", "b"}},
	"commands.ValidationError":  &commands.ValidationError{Field: "f", Reason: "r"},
}

// internalOnPurpose are the errors that are a 500 by design, each with why.
var internalOnPurpose = map[string]string{
	"domain.ErrNotAsDecided":       "an audit finding of CheckDecision; Handle never returns it",
	"domain.IllegalEventError":     "an audit finding of CheckDecision; Handle never returns it",
	"eventstore.ErrConcurrency":    "Handle retries; the client sees ErrRevisionMismatch or ErrTooManyConflicts",
	"eventstore.ConcurrencyError":  "Handle retries; the client sees ErrRevisionMismatch or ErrTooManyConflicts",
	"eventstore.ErrStreamNotFound": "Handle reads a missing stream as a ticket not yet opened",
	"eventstore.ErrDuplicateID":    "event ids are fresh UUIDs: a reused one is the server's bug",
	"eventstore.ErrCorrupt":        "an edited row is the ledger's fault, not the client's",
	"eventstore.CorruptError":      "an edited row is the ledger's fault, not the client's",
}

// unclassified returns the declared errors that classify.go does not name
// and that are neither classified by unwrapping nor internal on purpose,
// and the entries of those two lists that name no declared error.
func unclassified(declared []string, named map[string]bool) (missing, stale []string) {
	for _, e := range declared {
		_, unwraps := classifiedByUnwrap[e]
		_, internal := internalOnPurpose[e]
		if !named[e] && !unwraps && !internal {
			missing = append(missing, e)
		}
	}
	for _, list := range []map[string]string{internalOnPurpose, keys(classifiedByUnwrap)} {
		for e := range list {
			if !slices.Contains(declared, e) {
				stale = append(stale, e)
			}
		}
	}
	return missing, stale
}

func keys(m map[string]error) map[string]string {
	out := map[string]string{}
	for k := range m {
		out[k] = ""
	}
	return out
}

// declaredErrors lists the errors of the packages whose errors the write
// path can surface to a client.
func declaredErrors(t *testing.T) []string {
	t.Helper()
	var all []string
	for dir, pkg := range map[string]string{"../domain": "domain", ".": "commands", "../eventstore": "eventstore"} {
		errs, err := archtest.ExportedErrors(dir, pkg)
		require.NoError(t, err)
		all = append(all, errs...)
	}
	return all
}

// TestEveryErrorHasAClass fails when domain, commands or eventstore declares
// an error that commands/classify.go does not map to a class (which would
// make it a silent 500) and that is not listed above as internal on
// purpose or classified through what it unwraps to.
func TestEveryErrorHasAClass(t *testing.T) {
	t.Parallel()
	declared := declaredErrors(t)
	require.Contains(t, declared, "domain.ErrTicketLocked", "the source scan finds the domain's sentinels")
	require.Contains(t, declared, "domain.DeadlineNotDueError", "and its typed errors")
	named, err := archtest.ReferencedNames("classify.go", "commands", declared)
	require.NoError(t, err)

	missing, stale := unclassified(declared, named)
	assert.Empty(t, missing, "errors with no class in commands/classify.go: add each to its table (or, if a 500 is right, to internalOnPurpose with why)")
	assert.Empty(t, stale, "listed here but declared nowhere: remove them")
	for name, err := range classifiedByUnwrap {
		assert.NotEqual(t, commands.KindInternal, commands.Classify(err).Kind, "%s must classify through what it unwraps to", name)
	}
	for name := range internalOnPurpose {
		assert.False(t, named[name], "%s is both classified and listed as internal on purpose", name)
	}

	// The check itself fails on an error nobody listed.
	missing, _ = unclassified(append(declared, "domain.ErrDeliberatelyUnlisted"), named)
	assert.Equal(t, []string{"domain.ErrDeliberatelyUnlisted"}, missing)
}
