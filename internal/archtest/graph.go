package archtest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"slices"
	"strings"
)

// Package is one package of the module as `go list` sees it.
type Package struct {
	// Path is the import path relative to the module ("domain",
	// "cmd/disputes").
	Path string
	// Imports are the package's non-test imports: module packages by
	// relative path, others by full path.
	Imports []string
	// Dir and GoFiles locate its non-test sources.
	Dir     string
	GoFiles []string
}

// List runs `go list -json ./...` in the module at dir.
func List(ctx context.Context, dir string) ([]Package, error) {
	cmd := exec.CommandContext(ctx, "go", "list", "-json=ImportPath,Imports,Dir,GoFiles,Module", "./...")
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("go list: %w: %s", err, stderr.String())
	}
	var pkgs []Package
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p struct {
			ImportPath, Dir  string
			Imports, GoFiles []string
			Module           struct{ Path string }
		}
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			return pkgs, nil
		} else if err != nil {
			return nil, fmt.Errorf("decode go list: %w", err)
		}
		prefix := p.Module.Path + "/"
		pkg := Package{Path: strings.TrimPrefix(p.ImportPath, prefix), Dir: p.Dir, GoFiles: p.GoFiles}
		for _, imp := range p.Imports {
			pkg.Imports = append(pkg.Imports, strings.TrimPrefix(imp, prefix))
		}
		pkgs = append(pkgs, pkg)
	}
}

// ioPackages are the standard packages a pure package may not import:
// they reach the disk, the network, the process or the entropy pool.
var ioPackages = []string{"os", "net", "database/sql", "io/fs", "io/ioutil", "syscall", "crypto/rand", "log", "path/filepath", "embed", "plugin"}

// doesIO reports whether imp is one of ioPackages or below one.
func doesIO(imp string) bool {
	return slices.ContainsFunc(ioPackages, func(p string) bool { return imp == p || strings.HasPrefix(imp, p+"/") })
}

// CheckImports returns one error per broken rule, each naming the
// offending import: a package ARCHITECTURE.md does not declare (or one it
// declares that does not exist), an import it does not allow (or one it
// allows that is gone), an import from a higher layer, a concrete backend
// imported outside the wiring, and an I/O package imported by a pure one.
func CheckImports(r Rules, pkgs []Package) []error {
	var errs []error
	seen := map[string]bool{}
	for _, p := range pkgs {
		seen[p.Path] = true
		allowed, declared := r.Allowed[p.Path]
		if !declared {
			errs = append(errs, fmt.Errorf("package %s is not in ARCHITECTURE.md's deps block", p.Path))
			continue
		}
		used := map[string]bool{}
		for _, imp := range p.Imports {
			if r.InSection(p.Path, SectionPure) && doesIO(imp) {
				errs = append(errs, fmt.Errorf("pure package %s imports %s, which does I/O", p.Path, imp))
			}
			if _, inModule := r.Layer[imp]; !inModule {
				continue
			}
			used[imp] = true
			e, ok := allowed[imp]
			if !ok {
				errs = append(errs, fmt.Errorf("%s imports %s, which ARCHITECTURE.md does not allow", p.Path, imp))
				continue
			}
			if e.Exception {
				continue
			}
			if r.Layer[imp] > r.Layer[p.Path] {
				errs = append(errs, fmt.Errorf("%s [%s] imports %s from the higher layer [%s]", p.Path, r.Sections[r.Layer[p.Path]], imp, r.Sections[r.Layer[imp]]))
			}
			if r.InSection(imp, SectionBackends) && !r.InSection(p.Path, SectionWiring) && !r.InSection(p.Path, SectionBackends) {
				errs = append(errs, fmt.Errorf("%s imports the concrete backend %s: only [%s] wires backends", p.Path, imp, SectionWiring))
			}
		}
		for imp, e := range allowed {
			if !used[imp] {
				errs = append(errs, fmt.Errorf("ARCHITECTURE.md line %d allows %s -> %s, which %s does not import: remove it", e.Line, p.Path, imp, p.Path))
			}
		}
	}
	for pkg := range r.Layer {
		if !seen[pkg] {
			errs = append(errs, fmt.Errorf("ARCHITECTURE.md declares %s, which is not a package of the module", pkg))
		}
	}
	return errs
}
