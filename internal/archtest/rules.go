// Package archtest holds the module to the layers and imports that
// ARCHITECTURE.md declares: the document's fenced "deps" block is the data,
// and the test beside this file checks `go list` and the pure packages'
// sources against it, so a wrong-way import fails CI.
package archtest

import (
	"bufio"
	"fmt"
	"io"
	"strings"
)

// Section names with a rule of their own in the deps block.
const (
	// SectionPure holds the packages that do no I/O, read no clock and
	// draw no global randomness.
	SectionPure = "pure"
	// SectionBackends holds the concrete backends: only SectionWiring and
	// other backends (a seal store beside its event store) import them.
	SectionBackends = "backends"
	// SectionWiring holds the packages that wire concrete parts together.
	SectionWiring = "wiring"
)

// Rules is the parsed deps block of ARCHITECTURE.md.
type Rules struct {
	// Layer is each package's section index, bottom layer first: a package
	// imports only from its own layer and those below.
	Layer map[string]int
	// Sections are the section names in order.
	Sections []string
	// Allowed is each package's allowed module imports (relative paths),
	// exactly its non-test imports.
	Allowed map[string]map[string]Edge
	// AllowedCalls are documented exceptions to the pure packages' call
	// rule: package → "pkg.Func" (e.g. "uuid.NewV7").
	AllowedCalls map[string]map[string]bool
}

// Edge is one allowed import.
type Edge struct {
	// Exception marks an import that breaks a layer or backend rule on
	// purpose, written "!path" with a "#" comment saying why.
	Exception bool
	// Line is the edge's line in the document, for messages.
	Line int
}

// InSection reports whether pkg is declared in the named section.
func (r Rules) InSection(pkg, section string) bool {
	i, ok := r.Layer[pkg]
	return ok && r.Sections[i] == section
}

// blockStart opens the deps block in ARCHITECTURE.md.
const blockStart = "```deps"

// ParseRules reads the first ```deps block of a Markdown document.
//
// Inside it, "# …" is a comment, "[name] …" opens a section (a layer), a
// package line is "path" or "path -> import import …" with "!import" for a
// documented exception (the line must then carry a "# reason"), and
// "allow-call path pkg.Func  # reason" excuses one call in a pure package.
func ParseRules(r io.Reader) (Rules, error) {
	rules := Rules{Layer: map[string]int{}, Allowed: map[string]map[string]Edge{}, AllowedCalls: map[string]map[string]bool{}}
	sc := bufio.NewScanner(r)
	in, found := false, false
	for n := 1; sc.Scan(); n++ {
		raw := sc.Text()
		switch {
		case !in && strings.TrimSpace(raw) == blockStart:
			in, found = true, true
			continue
		case !in:
			continue
		case strings.TrimSpace(raw) == "```":
			return rules, rules.validate()
		}
		line, comment, _ := strings.Cut(raw, "#")
		fields := strings.Fields(line)
		if len(fields) == 0 {
			continue
		}
		if err := rules.parseLine(n, fields, strings.TrimSpace(comment)); err != nil {
			return Rules{}, fmt.Errorf("ARCHITECTURE.md line %d: %w", n, err)
		}
	}
	if err := sc.Err(); err != nil {
		return Rules{}, fmt.Errorf("read deps block: %w", err)
	}
	if !found {
		return Rules{}, fmt.Errorf("no %s block", blockStart)
	}
	return Rules{}, fmt.Errorf("%s block not closed", blockStart)
}

func (r *Rules) parseLine(n int, fields []string, comment string) error {
	switch {
	case strings.HasPrefix(fields[0], "["):
		r.Sections = append(r.Sections, strings.Trim(fields[0], "[]"))
		return nil
	case fields[0] == "allow-call":
		if len(fields) != 3 || comment == "" {
			return fmt.Errorf("want \"allow-call path pkg.Func  # reason\"")
		}
		if r.AllowedCalls[fields[1]] == nil {
			r.AllowedCalls[fields[1]] = map[string]bool{}
		}
		r.AllowedCalls[fields[1]][fields[2]] = true
		return nil
	case len(r.Sections) == 0:
		return fmt.Errorf("package %s before any [section]", fields[0])
	}
	pkg := fields[0]
	if _, dup := r.Layer[pkg]; dup {
		return fmt.Errorf("package %s declared twice", pkg)
	}
	r.Layer[pkg] = len(r.Sections) - 1
	r.Allowed[pkg] = map[string]Edge{}
	if len(fields) == 1 {
		return nil
	}
	if fields[1] != "->" {
		return fmt.Errorf("want \"%s -> imports…\"", pkg)
	}
	for _, imp := range fields[2:] {
		e := Edge{Line: n}
		if strings.HasPrefix(imp, "!") {
			if comment == "" {
				return fmt.Errorf("exception %s of %s has no # reason", imp, pkg)
			}
			e.Exception, imp = true, imp[1:]
		}
		r.Allowed[pkg][imp] = e
	}
	return nil
}

// validate checks that every allowed import and excused call names a
// declared package.
func (r Rules) validate() error {
	for pkg, imps := range r.Allowed {
		for imp, e := range imps {
			if _, ok := r.Layer[imp]; !ok {
				return fmt.Errorf("ARCHITECTURE.md line %d: %s -> %s: %s is not declared", e.Line, pkg, imp, imp)
			}
		}
	}
	for pkg := range r.AllowedCalls {
		if !r.InSection(pkg, SectionPure) {
			return fmt.Errorf("ARCHITECTURE.md: allow-call for %s, which is not in [%s]", pkg, SectionPure)
		}
	}
	return nil
}
