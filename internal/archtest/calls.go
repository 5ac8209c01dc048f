package archtest

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
)

// impureCalls are the functions, by import path, that read the clock or
// draw from a global random source; a pure package takes time and
// randomness as values instead.
var impureCalls = map[string][]string{
	"time": {"Now", "Since", "Until", "Sleep", "After", "AfterFunc", "Tick", "NewTimer", "NewTicker"},
	"math/rand": {"Int", "Intn", "Int31", "Int31n", "Int63", "Int63n", "Uint32", "Uint64", "Float32", "Float64",
		"Perm", "Shuffle", "ExpFloat64", "NormFloat64", "Seed", "Read"},
	"math/rand/v2": {"Int", "IntN", "Int32", "Int32N", "Int64", "Int64N", "Uint", "UintN", "Uint32", "Uint32N",
		"Uint64", "Uint64N", "Float32", "Float64", "Perm", "Shuffle", "ExpFloat64", "NormFloat64", "N"},
	"github.com/google/uuid": {"New", "NewString", "NewRandom", "NewUUID", "NewV6", "NewV7"},
}

// ParseFiles parses the named Go files of dir.
func ParseFiles(fset *token.FileSet, dir string, names []string) ([]*ast.File, error) {
	files := make([]*ast.File, 0, len(names))
	for _, name := range names {
		f, err := parser.ParseFile(fset, filepath.Join(dir, name), nil, parser.SkipObjectResolution)
		if err != nil {
			return nil, fmt.Errorf("parse %s: %w", name, err)
		}
		files = append(files, f)
	}
	return files, nil
}

// CheckCalls returns one error per use, in a pure package's non-test
// sources, of a function in impureCalls that ARCHITECTURE.md does not
// excuse with allow-call, naming the file and line.
func CheckCalls(r Rules, pkgs []Package) ([]error, error) {
	var errs []error
	fset := token.NewFileSet()
	for _, p := range pkgs {
		if !r.InSection(p.Path, SectionPure) {
			continue
		}
		files, err := ParseFiles(fset, p.Dir, p.GoFiles)
		if err != nil {
			return nil, fmt.Errorf("check calls of %s: %w", p.Path, err)
		}
		for _, f := range files {
			errs = append(errs, impureUses(fset, f, p.Path, r.AllowedCalls[p.Path])...)
		}
	}
	return errs, nil
}

// impureUses finds the impure functions f refers to through its imports.
func impureUses(fset *token.FileSet, f *ast.File, pkg string, excused map[string]bool) []error {
	banned := map[string]map[string]bool{} // local import name → banned functions
	for _, spec := range f.Imports {
		path, _ := strconv.Unquote(spec.Path.Value)
		funcs, ok := impureCalls[path]
		if !ok {
			continue
		}
		name := filepath.Base(path)
		if path == "math/rand/v2" {
			name = "rand"
		}
		if spec.Name != nil {
			name = spec.Name.Name
		}
		banned[name] = map[string]bool{}
		for _, fn := range funcs {
			banned[name][fn] = true
		}
	}
	var errs []error
	ast.Inspect(f, func(n ast.Node) bool {
		sel, ok := n.(*ast.SelectorExpr)
		if !ok {
			return true
		}
		x, ok := sel.X.(*ast.Ident)
		if !ok || !banned[x.Name][sel.Sel.Name] {
			return true
		}
		use := x.Name + "." + sel.Sel.Name
		if !excused[use] {
			errs = append(errs, fmt.Errorf("%s: pure package %s uses %s (time and randomness come in as values)", fset.Position(sel.Pos()), pkg, use))
		}
		return true
	})
	return errs
}
