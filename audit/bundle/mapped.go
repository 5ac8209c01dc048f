package bundle

import "errors"

// errChanged is the error of a bundle file changed, or cut short, while it
// was verified from memory (verifyFile).
var errChanged = errors.New("the file changed while it was verified: verify it again once nothing writes to it")

// region is the memory a bundle file is mapped to, empty for a bundle that
// is read.
type region struct{ lo, hi uintptr }

// holds reports whether r, a recovered panic, is a memory fault in the
// region: a page of the file that is no longer there
// (debug.SetPanicOnFault). Any other panic is not the file's to explain.
func (g region) holds(r any) bool {
	f, ok := r.(interface{ Addr() uintptr })
	if !ok {
		return false
	}
	a := f.Addr()
	return g.lo <= a && a < g.hi
}
