package merkle

import (
	"fmt"
	"math/bits"
	"slices"
)

// Tree is an append-only Merkle tree that keeps every leaf hash and every
// complete inner node in memory (about 64 bytes per leaf), so that roots of
// any past size and proofs between any sizes cost O(log n) hashes.
//
// The zero Tree is an empty tree, ready to use.
type Tree struct {
	// levels[l][j] is the root of the perfect subtree of 2^l leaves that
	// starts at leaf j*2^l; levels[0] holds the leaf hashes. Only complete
	// subtrees are stored, so level l holds Size()>>l hashes, and a subtree
	// stored once never changes: appending only adds to the right.
	levels [][]Hash
}

// Append adds leaf hashes (already LeafHash-ed) to the right of the tree, in
// order.
func (t *Tree) Append(leaves ...Hash) {
	// Reserve every level's final length up front: a bulk append of a
	// million leaves would otherwise copy each level about twenty times.
	newSize := t.Size() + uint64(len(leaves))
	for l := 0; l == 0 || newSize>>l > 0; l++ {
		if l == len(t.levels) {
			t.levels = append(t.levels, nil)
		}
		t.levels[l] = slices.Grow(t.levels[l], int(newSize>>l)-len(t.levels[l]))
	}
	for _, leaf := range leaves {
		t.levels[0] = append(t.levels[0], leaf)
		// An even count at level l means the last two nodes there just
		// became a complete pair: store their parent.
		for l := 0; len(t.levels[l])%2 == 0; l++ {
			if l+1 == len(t.levels) {
				t.levels = append(t.levels, nil)
			}
			n := len(t.levels[l])
			t.levels[l+1] = append(t.levels[l+1], NodeHash(t.levels[l][n-2], t.levels[l][n-1]))
		}
	}
}

// Size returns the number of leaves in the tree.
func (t *Tree) Size() uint64 {
	if len(t.levels) == 0 {
		return 0
	}
	return uint64(len(t.levels[0]))
}

// Leaf returns the leaf hash at index. It returns an error wrapping
// ErrIndexOutOfRange if index >= Size().
func (t *Tree) Leaf(index uint64) (Hash, error) {
	if index >= t.Size() {
		return Hash{}, fmt.Errorf("leaf %d of tree size %d: %w", index, t.Size(), ErrIndexOutOfRange)
	}
	return t.levels[0][index], nil
}

// Root returns the root of the whole tree.
func (t *Tree) Root() Hash { return t.rangeHash(0, t.Size()) }

// RootAt returns the root the tree had when it held size leaves. It returns
// an error wrapping ErrSizeOutOfRange if size > Size().
func (t *Tree) RootAt(size uint64) (Hash, error) {
	if size > t.Size() {
		return Hash{}, fmt.Errorf("root at size %d of tree size %d: %w", size, t.Size(), ErrSizeOutOfRange)
	}
	return t.rangeHash(0, size), nil
}

// InclusionProof returns the RFC 9162 section 2.1.3.1 audit path of the leaf
// at index in the tree of the first size leaves, ordered from the leaf up. It
// returns an error wrapping ErrSizeOutOfRange if size > Size() and
// ErrIndexOutOfRange if index >= size.
func (t *Tree) InclusionProof(index, size uint64) ([]Hash, error) {
	if size > t.Size() {
		return nil, fmt.Errorf("inclusion proof for leaf %d at size %d of tree size %d: %w", index, size, t.Size(), ErrSizeOutOfRange)
	}
	if index >= size {
		return nil, fmt.Errorf("inclusion proof for leaf %d at size %d: %w", index, size, ErrIndexOutOfRange)
	}
	return t.pathFrom(0, index, size, make([]Hash, 0, inclusionProofLen(index, size))), nil
}

// ConsistencyProof returns the RFC 9162 section 2.1.4.1 proof that the tree
// of the first size1 leaves is a prefix of the tree of the first size2
// leaves. The proof is empty when size1 is 0 or equal to size2. It returns an
// error wrapping ErrSizeOutOfRange if size2 > Size() or size1 > size2.
func (t *Tree) ConsistencyProof(size1, size2 uint64) ([]Hash, error) {
	if size2 > t.Size() || size1 > size2 {
		return nil, fmt.Errorf("consistency proof from size %d to %d of tree size %d: %w", size1, size2, t.Size(), ErrSizeOutOfRange)
	}
	if size1 == 0 || size1 == size2 {
		return []Hash{}, nil
	}
	// The proof starts at the largest complete subtree that ends exactly at
	// size1: its height is the number of trailing zeros of size1. From there
	// it is an audit path of that subtree in the tree of size2.
	level := bits.TrailingZeros64(size1)
	index := (size1 - 1) >> level
	proof := make([]Hash, 0, consistencyProofLen(size1, size2))
	if index != 0 {
		// size1 is not a power of two, so the old root is not a node of the
		// new tree and the verifier needs this subtree to rebuild it. When it
		// is a power of two, the verifier already holds it: the old root.
		proof = append(proof, t.levels[level][index])
	}
	return t.pathFrom(level, index, size2, proof), nil
}

// pathFrom appends to proof the siblings of node index at level, and of its
// ancestors, in the tree of size leaves, from the bottom up.
func (t *Tree) pathFrom(level int, index, size uint64, proof []Hash) []Hash {
	for last := (size - 1) >> level; last > 0; last >>= 1 {
		switch {
		case index&1 == 1:
			proof = append(proof, t.node(level, index-1, size))
		case index < last:
			proof = append(proof, t.node(level, index+1, size))
		}
		// Otherwise the node is the last at its level, with no sibling: RFC
		// 6962's unbalanced split promotes it unchanged to the next level.
		index >>= 1
		level++
	}
	return proof
}

// inclusionProofLen returns the length of the audit path of leaf index in a
// tree of size leaves (index < size).
func inclusionProofLen(index, size uint64) int {
	return pathLen(index, size-1)
}

// consistencyProofLen returns the length of the consistency proof between
// sizes 0 < size1 < size2.
func consistencyProofLen(size1, size2 uint64) int {
	level := bits.TrailingZeros64(size1)
	index := (size1 - 1) >> level
	n := pathLen(index, (size2-1)>>level)
	if index != 0 {
		n++
	}
	return n
}

// pathLen counts the siblings on the way up from node index to the root,
// where last is the index of the last node at index's level.
func pathLen(index, last uint64) int {
	n := 0
	for ; last > 0; last >>= 1 {
		if index&1 == 1 || index < last {
			n++
		}
		index >>= 1
	}
	return n
}

// node returns the hash of node index at level in the tree of size leaves:
// the subtree covering leaves [index*2^level, min((index+1)*2^level, size)).
func (t *Tree) node(level int, index, size uint64) Hash {
	begin := index << level
	end := begin + 1<<level
	if end <= size {
		return t.levels[level][index]
	}
	// The last node of a level may be incomplete in a tree of this size;
	// its hash is the root of its leaves.
	return t.rangeHash(begin, size)
}

// rangeHash returns the root of the subtree over leaves [begin, end), which
// must be a node of some RFC 6962 tree: begin a multiple of a power of two no
// smaller than end-begin. Such a range splits into stored perfect subtrees,
// one per set bit of its length, largest first.
func (t *Tree) rangeHash(begin, end uint64) Hash {
	var buf [64]Hash
	peaks := buf[:0]
	for n := end - begin; n > 0; {
		level := bits.Len64(n) - 1
		peaks = append(peaks, t.levels[level][begin>>level])
		begin += 1 << level
		n -= 1 << level
	}
	return foldPeaks(peaks)
}
