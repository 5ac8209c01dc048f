package domain_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/domain"
)

// TestStatusesListsEveryStatus: Statuses, which the API's status filter
// and its OpenAPI enum read, names every Status constant but StatusNone.
func TestStatusesListsEveryStatus(t *testing.T) {
	t.Parallel()
	f, err := parser.ParseFile(token.NewFileSet(), "ticket.go", nil, 0)
	require.NoError(t, err)
	var declared []string
	for _, d := range f.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.CONST {
			continue
		}
		for _, spec := range g.Specs {
			vs := spec.(*ast.ValueSpec)
			if id, ok := vs.Type.(*ast.Ident); ok && id.Name == "Status" && vs.Names[0].Name != "StatusNone" {
				declared = append(declared, vs.Values[0].(*ast.BasicLit).Value)
			}
		}
	}
	var listed []string
	for _, s := range domain.Statuses() {
		listed = append(listed, `"`+string(s)+`"`)
	}
	require.NotEmpty(t, declared)
	assert.ElementsMatch(t, declared, listed)
}
