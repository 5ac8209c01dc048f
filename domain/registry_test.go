package domain_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/domain"
	"github.com/disputes-ledger/disputes/events"
)

// commandTypesInSource returns the names of the types in package domain's
// own (non-test) sources that declare a CommandName method: the command
// types, found without asking the registry.
func commandTypesInSource(t *testing.T) []string {
	t.Helper()
	fset := token.NewFileSet()
	pkgs, err := parser.ParseDir(fset, ".", func(fi os.FileInfo) bool {
		return !strings.HasSuffix(fi.Name(), "_test.go")
	}, parser.SkipObjectResolution)
	require.NoError(t, err)
	pkg, ok := pkgs["domain"]
	require.True(t, ok, "package domain parsed")
	var out []string
	for _, f := range pkg.Files {
		for _, d := range f.Decls {
			fn, ok := d.(*ast.FuncDecl)
			if !ok || fn.Recv == nil || fn.Name.Name != "CommandName" || len(fn.Recv.List) != 1 {
				continue
			}
			recv := fn.Recv.List[0].Type
			if star, ok := recv.(*ast.StarExpr); ok {
				recv = star.X
			}
			id, ok := recv.(*ast.Ident)
			require.True(t, ok, "CommandName receiver at %s", fset.Position(fn.Pos()))
			out = append(out, id.Name)
		}
	}
	slices.Sort(out)
	return out
}

// TestRegistryHoldsEveryCommandOnce walks the registry both ways: every
// type of the package with a CommandName method is registered exactly once,
// and every registration is such a type, with a name its CommandName gives.
func TestRegistryHoldsEveryCommandOnce(t *testing.T) {
	declared := commandTypesInSource(t)
	require.NotEmpty(t, declared)

	var registered []string
	names := map[string]string{}
	for _, spec := range domain.Registry() {
		require.NotNil(t, spec.Zero, "a registration without a command type")
		typ := reflect.TypeOf(spec.Zero)
		assert.Equal(t, reflect.Struct, typ.Kind(), "%s is registered by value, not by pointer", typ)
		assert.Equal(t, reflect.Zero(typ).Interface(), spec.Zero, "%s is registered as its zero value", typ)
		registered = append(registered, typ.Name())
		name := spec.Name()
		if prev, dup := names[name]; dup {
			t.Errorf("command name %q is given by both %s and %s", name, prev, typ.Name())
		}
		names[name] = typ.Name()
	}
	slices.Sort(registered)
	assert.Equal(t, declared, registered, "the command types in the source and the registry differ")
}

// TestRegistryEntriesAreComplete checks each registration carries what its
// readers need: a wire name in snake case that LookupCommand finds, at
// least one valid role and no role twice, and a one-line summary.
func TestRegistryEntriesAreComplete(t *testing.T) {
	snake := regexp.MustCompile(`^[a-z]+(_[a-z]+)*$`)
	for _, spec := range domain.Registry() {
		name := spec.Name()
		assert.Regexp(t, snake, name)
		assert.Equal(t, name, spec.Zero.CommandName())
		got, ok := domain.LookupCommand(name)
		if assert.True(t, ok, "LookupCommand(%q)", name) {
			assert.Equal(t, spec, got, "LookupCommand(%q)", name)
			got.Roles[0] = events.RoleSystem // the caller's copy: the next lookup is unchanged
			again, _ := domain.LookupCommand(name)
			assert.Equal(t, spec.Roles, again.Roles, "LookupCommand(%q) after its answer was changed", name)
		}
		require.NotEmpty(t, spec.Roles, "%s is open to no role", name)
		for i, r := range spec.Roles {
			assert.True(t, r.Valid(), "%s: role %q", name, r)
			assert.NotContains(t, spec.Roles[:i], r, "%s lists %s twice", name, r)
		}
		assert.NotEmpty(t, strings.TrimSpace(spec.Summary), "%s has no summary", name)
		assert.NotContains(t, spec.Summary, "\n", "%s's summary is one line", name)
	}
	_, ok := domain.LookupCommand("no_such_command")
	assert.False(t, ok)
	_, ok = domain.LookupCommand("")
	assert.False(t, ok)
}

// TestCatalogueIsReadFromTheRegistry checks Commands and Permissions agree
// with the registry entry by entry, in its order.
func TestCatalogueIsReadFromTheRegistry(t *testing.T) {
	specs := domain.Registry()
	cmds := domain.Commands()
	perms := domain.Permissions()
	require.Len(t, cmds, len(specs))
	require.Len(t, perms, len(specs))
	for i, spec := range specs {
		assert.Equal(t, spec.Zero, cmds[i])
		assert.Equal(t, spec.Roles, perms[spec.Name()], spec.Name())
	}
}

// TestDomainDocRoleTableIsTheRegistry holds docs/domain.md's "Parties and
// what each may do" table to the registry: each role's row names exactly the
// commands the registry opens to it, so a permission changed in one place
// cannot leave the specification behind.
func TestDomainDocRoleTableIsTheRegistry(t *testing.T) {
	doc, err := os.ReadFile("../docs/domain.md")
	require.NoError(t, err)
	row := regexp.MustCompile("(?m)^\\| `([a-z_]+)` \\| [^|]* \\| (.*) \\|$")
	name := regexp.MustCompile("`([a-z_]+)`")
	documented := map[events.Role][]string{}
	for _, m := range row.FindAllStringSubmatch(string(doc), -1) {
		role := events.Role(m[1])
		if !role.Valid() {
			continue
		}
		documented[role] = []string{}
		for _, n := range name.FindAllStringSubmatch(m[2], -1) {
			documented[role] = append(documented[role], n[1])
		}
		slices.Sort(documented[role])
	}
	require.Contains(t, documented, events.RoleBuyer, "the role table was found")

	registered := map[events.Role][]string{}
	for role := range documented {
		registered[role] = []string{}
	}
	for _, spec := range domain.Registry() {
		for _, r := range spec.Roles {
			registered[r] = append(registered[r], spec.Name())
		}
	}
	for r := range registered {
		slices.Sort(registered[r])
	}
	assert.Equal(t, registered, documented)
}
