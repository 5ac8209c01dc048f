package bundle

import (
	"reflect"
	"strings"

	"github.com/disputes-ledger/disputes/audit"
)

// detach replaces every string of rep by a copy: the strings the Verifier
// reported (ticket ids, say) may be windows on the events' bytes, which a
// mapped bundle file (verifyFile) holds only until it is unmapped. It walks
// the report by reflection, so that a field added to it later is copied
// too; TestDetachReachesEveryString keeps the report to what it can walk.
func detach(rep *audit.Report) {
	cloneStrings(reflect.ValueOf(rep).Elem())
}

func cloneStrings(v reflect.Value) {
	switch v.Kind() {
	case reflect.String:
		v.SetString(strings.Clone(v.String()))
	case reflect.Pointer:
		if !v.IsNil() {
			cloneStrings(v.Elem())
		}
	case reflect.Struct:
		for i := range v.NumField() {
			cloneStrings(v.Field(i))
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			cloneStrings(v.Index(i))
		}
	case reflect.Map:
		if v.IsNil() {
			return
		}
		m := reflect.MakeMapWithSize(v.Type(), v.Len())
		for it := v.MapRange(); it.Next(); {
			k := reflect.New(v.Type().Key()).Elem()
			k.Set(it.Key())
			cloneStrings(k)
			e := reflect.New(v.Type().Elem()).Elem()
			e.Set(it.Value())
			cloneStrings(e)
			m.SetMapIndex(k, e)
		}
		v.Set(m)
	}
}
