package merkle

import (
	"fmt"
	"math/bits"
)

// VerifyInclusion checks that proof proves leafHash (an already LeafHash-ed
// leaf) is the leaf at index in the tree of size leaves whose root is root,
// following RFC 9162 section 2.1.3.2.
//
// Only root is checked, not that size is the size that root belongs to; the
// pair must come from a trusted source, such as a verified seal. It returns
// nil on success, or an error wrapping ErrIndexOutOfRange (index >= size) or
// ErrInvalidProof (possibly as a *RootMismatchError).
func VerifyInclusion(leafHash Hash, index, size uint64, proof []Hash, root Hash) error {
	if err := verifyInclusion(leafHash, index, size, proof, root); err != nil {
		return fmt.Errorf("verify inclusion of leaf %d in tree size %d: %w", index, size, err)
	}
	return nil
}

func verifyInclusion(leafHash Hash, index, size uint64, proof []Hash, root Hash) error {
	if index >= size {
		return ErrIndexOutOfRange
	}
	if want := inclusionProofLen(index, size); len(proof) != want {
		return fmt.Errorf("proof has %d hashes, want %d: %w", len(proof), want, ErrInvalidProof)
	}
	// The RFC's algorithm, step by step: fn is the node's index at the
	// current level, sn the index of the last node there.
	fn, sn := index, size-1
	r := leafHash
	for _, p := range proof {
		if sn == 0 {
			// Unreachable after the length check; kept so that the loop
			// stays the RFC's algorithm, safe on its own.
			return fmt.Errorf("proof longer than the path to the root: %w", ErrInvalidProof)
		}
		if fn&1 == 1 || fn == sn {
			r = NodeHash(p, r)
			// A last node with an even index has no sibling until its
			// ancestors reach a right child: skip the promoted levels.
			for fn&1 == 0 && fn != 0 {
				fn >>= 1
				sn >>= 1
			}
		} else {
			r = NodeHash(r, p)
		}
		fn >>= 1
		sn >>= 1
	}
	if sn != 0 {
		return fmt.Errorf("proof shorter than the path to the root: %w", ErrInvalidProof)
	}
	if r != root {
		return &RootMismatchError{Size: size, Computed: r, Expected: root}
	}
	return nil
}

// VerifyConsistency checks that proof proves the tree of size1 leaves with
// root root1 is a prefix of the tree of size2 leaves with root root2 (the log
// only grew by appending), following RFC 9162 section 2.1.4.2.
//
// Edge cases the RFC leaves to the caller: equal sizes need an empty proof
// and equal roots; size1 = 0 needs an empty proof and root1 equal to
// EmptyRoot(), since every tree extends the empty one. It returns nil on
// success, or an error wrapping ErrSizeOutOfRange (size1 > size2) or
// ErrInvalidProof (possibly as a *RootMismatchError).
func VerifyConsistency(size1, size2 uint64, root1, root2 Hash, proof []Hash) error {
	if err := verifyConsistency(size1, size2, root1, root2, proof); err != nil {
		return fmt.Errorf("verify consistency of tree size %d with tree size %d: %w", size1, size2, err)
	}
	return nil
}

func verifyConsistency(size1, size2 uint64, root1, root2 Hash, proof []Hash) error {
	switch {
	case size1 > size2:
		return ErrSizeOutOfRange
	case size1 == size2 || size1 == 0:
		if len(proof) != 0 {
			return fmt.Errorf("proof has %d hashes, want 0: %w", len(proof), ErrInvalidProof)
		}
		if size1 == 0 {
			if empty := EmptyRoot(); root1 != empty {
				return &RootMismatchError{Size: 0, Computed: empty, Expected: root1}
			}
			return nil
		}
		if root1 != root2 {
			return &RootMismatchError{Size: size2, Computed: root1, Expected: root2}
		}
		return nil
	}
	if want := consistencyProofLen(size1, size2); len(proof) != want {
		return fmt.Errorf("proof has %d hashes, want %d: %w", len(proof), want, ErrInvalidProof)
	}
	// Steps 2-5 of the RFC: if size1 is a power of two the old root is the
	// first node of the path (the proof omits it); otherwise the proof's
	// first hash is. Shifting off the trailing ones of fn moves both indices
	// up to that node's level.
	fn, sn := size1-1, size2-1
	for fn&1 == 1 {
		fn >>= 1
		sn >>= 1
	}
	rest := proof
	fr := root1
	if bits.OnesCount64(size1) != 1 {
		fr, rest = proof[0], proof[1:]
	}
	sr := fr
	// Step 6: fr rebuilds the old root from the left siblings only; sr
	// rebuilds the new root from all of them.
	for _, c := range rest {
		if sn == 0 {
			// Unreachable after the length check; kept so that the loop
			// stays the RFC's algorithm, safe on its own.
			return fmt.Errorf("proof longer than the path to the root: %w", ErrInvalidProof)
		}
		if fn&1 == 1 || fn == sn {
			fr = NodeHash(c, fr)
			sr = NodeHash(c, sr)
			for fn&1 == 0 && fn != 0 {
				fn >>= 1
				sn >>= 1
			}
		} else {
			sr = NodeHash(sr, c)
		}
		fn >>= 1
		sn >>= 1
	}
	// Step 7.
	if sn != 0 {
		return fmt.Errorf("proof shorter than the path to the root: %w", ErrInvalidProof)
	}
	if fr != root1 {
		return &RootMismatchError{Size: size1, Computed: fr, Expected: root1}
	}
	if sr != root2 {
		return &RootMismatchError{Size: size2, Computed: sr, Expected: root2}
	}
	return nil
}
