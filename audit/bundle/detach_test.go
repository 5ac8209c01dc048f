package bundle

import (
	"bytes"
	"reflect"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/assert"

	"github.com/disputes-ledger/disputes/audit"
)

// detach walks the report by reflection: it must be made of what the walk
// reaches and can set — exported fields, pointers, slices, maps — and no
// interface, function or channel, whose strings it could not copy.
func TestDetachReachesEveryString(t *testing.T) {
	seen := map[reflect.Type]bool{}
	var walk func(path string, ty reflect.Type)
	walk = func(path string, ty reflect.Type) {
		if seen[ty] {
			return
		}
		seen[ty] = true
		switch ty.Kind() {
		case reflect.Interface, reflect.Func, reflect.Chan, reflect.UnsafePointer:
			t.Errorf("%s is a %s, which detach cannot copy the strings of", path, ty.Kind())
		case reflect.Struct:
			for i := range ty.NumField() {
				f := ty.Field(i)
				if !f.IsExported() {
					t.Errorf("%s.%s is unexported: detach cannot set it", path, f.Name)
				}
				walk(path+"."+f.Name, f.Type)
			}
		case reflect.Pointer, reflect.Slice, reflect.Array:
			walk(path+"[]", ty.Elem())
		case reflect.Map:
			walk(path+"{key}", ty.Key())
			walk(path+"{}", ty.Elem())
		}
	}
	walk("Report", reflect.TypeFor[audit.Report]())
}

// After detach, no string of the report is a window on the bytes it was
// made from.
func TestDetachCopiesEveryString(t *testing.T) {
	src := []byte("ticket-1 message source scope key policy warning check origin")
	window := func(word string) string {
		i := bytes.Index(src, []byte(word))
		return unsafe.String(&src[i], len(word))
	}
	rev := uint64(3)
	rep := &audit.Report{Source: window("source"), Scope: window("scope"), KeyID: window("key"),
		Policies: []string{window("policy")}, Warnings: []string{window("warning")},
		Trusted:  &audit.TrustedCheckpoint{Origin: window("origin")},
		Findings: []audit.Finding{{Check: audit.Check(window("check")), Ticket: window("ticket-1"), Revision: &rev, Message: window("message")}},
		Counts:   map[audit.Check]int{audit.Check(window("check")): 1}}
	detach(rep)
	for i := range src {
		src[i] = '#'
	}
	assert.Equal(t, &audit.Report{Source: "source", Scope: "scope", KeyID: "key", Policies: []string{"policy"}, Warnings: []string{"warning"},
		Trusted:  &audit.TrustedCheckpoint{Origin: "origin"},
		Findings: []audit.Finding{{Check: "check", Ticket: "ticket-1", Revision: &rev, Message: "message"}},
		Counts:   map[audit.Check]int{"check": 1}}, rep)
}
