package merkle

import "crypto/sha256"

// refTree is a deliberately naive reference for the tests, written straight
// from the recursive definitions of RFC 6962 section 2.1 (MTH, PATH, PROOF
// and SUBPROOF) over raw leaf data. It shares no code with the package: it
// hashes with sha256 directly and recurses on index ranges. A memo of MTH by
// range keeps exhaustive tests fast without changing the recursion.
type refTree struct {
	data [][]byte
	memo map[[2]int]Hash
}

func newRefTree(data [][]byte) *refTree {
	return &refTree{data: data, memo: map[[2]int]Hash{}}
}

// split returns k, the largest power of two smaller than n (n > 1).
func split(n int) int {
	k := 1
	for k*2 < n {
		k *= 2
	}
	return k
}

// mth is MTH(D[lo:hi]).
func (r *refTree) mth(lo, hi int) Hash {
	if h, ok := r.memo[[2]int{lo, hi}]; ok {
		return h
	}
	var h Hash
	switch n := hi - lo; n {
	case 0:
		h = sha256.Sum256(nil)
	case 1:
		h = sha256.Sum256(append([]byte{0x00}, r.data[lo]...))
	default:
		k := split(n)
		left, right := r.mth(lo, lo+k), r.mth(lo+k, hi)
		buf := append([]byte{0x01}, left[:]...)
		h = sha256.Sum256(append(buf, right[:]...))
	}
	r.memo[[2]int{lo, hi}] = h
	return h
}

// path is PATH(m, D[lo:hi]).
func (r *refTree) path(m, lo, hi int) []Hash {
	n := hi - lo
	if n <= 1 {
		return nil
	}
	k := split(n)
	if m < k {
		return append(r.path(m, lo, lo+k), r.mth(lo+k, hi))
	}
	return append(r.path(m-k, lo+k, hi), r.mth(lo, lo+k))
}

// proof is PROOF(m, D[0:n]).
func (r *refTree) proof(m, n int) []Hash {
	if m == 0 || m == n {
		return nil
	}
	return r.subproof(m, 0, n, true)
}

// subproof is SUBPROOF(m, D[lo:hi], b).
func (r *refTree) subproof(m, lo, hi int, b bool) []Hash {
	n := hi - lo
	if m == n {
		if b {
			return nil
		}
		return []Hash{r.mth(lo, hi)}
	}
	k := split(n)
	if m <= k {
		return append(r.subproof(m, lo, lo+k, b), r.mth(lo+k, hi))
	}
	return append(r.subproof(m-k, lo+k, hi, false), r.mth(lo, lo+k))
}

// leafHash is MTH of the single leaf i.
func (r *refTree) leafHash(i int) Hash { return r.mth(i, i+1) }
