package httpapi

import (
	"go/ast"
	"go/parser"
	"go/token"
	"net/http"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/commands"
)

// declaredKinds reads the ErrorKind constants commands/classify.go declares.
func declaredKinds(t *testing.T) []commands.ErrorKind {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), "../../commands/classify.go", nil, 0)
	require.NoError(t, err)
	var kinds []commands.ErrorKind
	ast.Inspect(f, func(n ast.Node) bool {
		spec, ok := n.(*ast.ValueSpec)
		if !ok {
			return true
		}
		if typ, ok := spec.Type.(*ast.Ident); ok && typ.Name == "ErrorKind" {
			for _, v := range spec.Values {
				lit, ok := v.(*ast.BasicLit)
				require.True(t, ok, "ErrorKind constants are string literals")
				s, err := strconv.Unquote(lit.Value)
				require.NoError(t, err)
				kinds = append(kinds, commands.ErrorKind(s))
			}
		}
		return true
	})
	return kinds
}

// TestEveryKindHasAStatus: only the ledger's own failures (internal,
// unavailable) are 5xx; a kind added to commands without a status here
// would answer 200 with a problem body (the map's zero value).
func TestEveryKindHasAStatus(t *testing.T) {
	t.Parallel()
	kinds := declaredKinds(t)
	require.Contains(t, kinds, commands.KindRefused, "the source scan finds the kinds")
	for _, k := range kinds {
		status, ok := kindStatus[k]
		serverSide := k == commands.KindInternal || k == commands.KindUnavailable
		if assert.True(t, ok, "kind %q has no HTTP status in kindStatus", k) && !serverSide {
			assert.Less(t, status, http.StatusInternalServerError, "kind %q is the client's, not a 5xx", k)
			assert.GreaterOrEqual(t, status, http.StatusBadRequest, "kind %q is an error", k)
		}
	}
	assert.Len(t, kindStatus, len(kinds), "kindStatus maps only declared kinds")
}
