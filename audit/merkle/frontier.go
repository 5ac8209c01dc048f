package merkle

// Frontier computes the root of a growing log in O(log n) memory: it keeps
// only the roots of the perfect subtrees that make up the tree (one per set
// bit of the size), not the leaves. Use it to seal a log streamed from storage
// when no proofs are needed; use Tree when proofs are.
//
// The zero Frontier is an empty tree, ready to use.
type Frontier struct {
	size uint64
	// peaks are the roots of the perfect subtrees covering the leaves so far,
	// largest (leftmost) first: peaks[i] covers 2^b leaves for the i-th
	// highest set bit b of size.
	peaks []Hash
}

// Append adds a leaf hash (already LeafHash-ed) to the right of the tree.
func (f *Frontier) Append(leaf Hash) {
	f.peaks = append(f.peaks, leaf)
	// Each trailing one bit of the old size is a perfect subtree of the same
	// height as the one just completed: merge them, as a binary counter
	// carries.
	for s := f.size; s&1 == 1; s >>= 1 {
		n := len(f.peaks)
		f.peaks[n-2] = NodeHash(f.peaks[n-2], f.peaks[n-1])
		f.peaks = f.peaks[:n-1]
	}
	f.size++
}

// Size returns the number of leaves appended.
func (f *Frontier) Size() uint64 { return f.size }

// Root returns the RFC 6962 root of the leaves appended so far.
func (f *Frontier) Root() Hash { return foldPeaks(f.peaks) }

// foldPeaks combines the perfect subtree roots of a tree, largest first, into
// its root. Folding from the right reproduces the RFC's split at the largest
// power of two: the leftmost peak is the left child of the root, and the rest
// form its right child.
func foldPeaks(peaks []Hash) Hash {
	if len(peaks) == 0 {
		return EmptyRoot()
	}
	r := peaks[len(peaks)-1]
	for i := len(peaks) - 2; i >= 0; i-- {
		r = NodeHash(peaks[i], r)
	}
	return r
}

// RootFromLeaves returns the RFC 6962 root of leaves, which must already be
// leaf hashes. It does n-1 node hashes and allocates O(log n) memory.
func RootFromLeaves(leaves []Hash) Hash {
	// 64 peaks cover any size a uint64 can count, so the frontier never
	// reallocates.
	f := Frontier{peaks: make([]Hash, 0, 64)}
	for _, l := range leaves {
		f.Append(l)
	}
	return f.Root()
}
