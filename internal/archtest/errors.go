package archtest

import (
	"fmt"
	"go/ast"
	"go/token"
	"os"
	"slices"
	"strings"
)

// ExportedErrors lists the error sentinels and typed errors a package's
// non-test sources in dir declare, as "pkg.Name": exported package-level
// variables named Err… and exported types named …Error. It reads the
// source, so a new error is found the moment it is written.
func ExportedErrors(dir, pkg string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("list errors of %s: %w", pkg, err)
	}
	var names []string
	for _, e := range entries {
		if n := e.Name(); strings.HasSuffix(n, ".go") && !strings.HasSuffix(n, "_test.go") {
			names = append(names, n)
		}
	}
	files, err := ParseFiles(token.NewFileSet(), dir, names)
	if err != nil {
		return nil, fmt.Errorf("list errors of %s: %w", pkg, err)
	}
	var out []string
	for _, f := range files {
		for _, decl := range f.Decls {
			out = append(out, declaredErrors(decl, pkg)...)
		}
	}
	slices.Sort(out)
	return out, nil
}

// declaredErrors returns the errors one top-level declaration declares.
func declaredErrors(decl ast.Decl, pkg string) []string {
	gen, ok := decl.(*ast.GenDecl)
	if !ok {
		return nil
	}
	var out []string
	for _, spec := range gen.Specs {
		switch s := spec.(type) {
		case *ast.ValueSpec:
			for _, id := range s.Names {
				if gen.Tok == token.VAR && id.IsExported() && strings.HasPrefix(id.Name, "Err") {
					out = append(out, pkg+"."+id.Name)
				}
			}
		case *ast.TypeSpec:
			if s.Name.IsExported() && strings.HasSuffix(s.Name.Name, "Error") {
				out = append(out, pkg+"."+s.Name.Name)
			}
		}
	}
	return out
}

// ReferencedNames lists the "pkg.Name" selectors the Go file at path uses,
// with the names it uses unqualified from its own package, local, given as
// "local.Name" when they appear in known.
func ReferencedNames(path, local string, known []string) (map[string]bool, error) {
	f, err := ParseFiles(token.NewFileSet(), "", []string{path})
	if err != nil {
		return nil, err
	}
	out := map[string]bool{}
	ast.Inspect(f[0], func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.SelectorExpr:
			if x, ok := n.X.(*ast.Ident); ok {
				out[x.Name+"."+n.Sel.Name] = true
			}
			return false
		case *ast.Ident:
			if name := local + "." + n.Name; slices.Contains(known, name) {
				out[name] = true
			}
		}
		return true
	})
	return out, nil
}
