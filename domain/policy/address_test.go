package policy

import (
	"crypto/sha256"
	"encoding/hex"
	"reflect"
	"testing"
)

// TestAddressNoticesEveryField changes each exported field of a compiled
// policy in turn (a list by one more element) and requires SHA256 to give
// the address of the changed document, not the one computed when
// compiling: a field added to Policy but not to sameRules fails here.
func TestAddressNoticesEveryField(t *testing.T) {
	base := Default()
	want := base.SHA256()
	if sum := sha256.Sum256(base.Canonical()); want != hex.EncodeToString(sum[:]) {
		t.Fatalf("cached address %s is not the canonical document's", want)
	}
	type leaf struct {
		path  string
		index []int
	}
	var leaves []leaf
	var walk func(path string, index []int, typ reflect.Type)
	walk = func(path string, index []int, typ reflect.Type) {
		if typ.Kind() != reflect.Struct {
			leaves = append(leaves, leaf{path, index})
			return
		}
		for i := range typ.NumField() {
			if f := typ.Field(i); f.IsExported() {
				walk(path+"."+f.Name, append(append([]int(nil), index...), i), f.Type)
			}
		}
	}
	walk("Policy", nil, reflect.TypeFor[Policy]())
	if len(leaves) < 30 {
		t.Fatalf("found %d fields: the walk is broken", len(leaves))
	}
	for _, l := range leaves {
		t.Run(l.path, func(t *testing.T) {
			p := Default()
			f := reflect.ValueOf(&p).Elem().FieldByIndex(l.index)
			switch f.Kind() {
			case reflect.String:
				f.SetString(f.String() + "x")
			case reflect.Int, reflect.Int64:
				f.SetInt(f.Int() + 1)
			case reflect.Slice:
				f.Set(reflect.Append(f, reflect.ValueOf("2027-01-01")))
			default:
				t.Fatalf("a field of kind %s: teach this test (and sameRules) to change it", f.Kind())
			}
			sum := sha256.Sum256(p.Canonical())
			if got := p.SHA256(); got != hex.EncodeToString(sum[:]) || got == want {
				t.Errorf("SHA256 = %s, want the changed document's %s (unchanged: %s)", got, hex.EncodeToString(sum[:]), want)
			}
		})
	}
}
