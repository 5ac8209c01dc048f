package merkle

import (
	"errors"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// exhaustiveMax is the largest tree size checked for every index/size pair.
const exhaustiveMax = 300

// randomLeaves returns n leaves of random data of varying length, from a
// fixed seed so that failures reproduce.
func randomLeaves(seed uint64, n int) [][]byte {
	rng := rand.New(rand.NewPCG(seed, 0x6d65726b6c65))
	out := make([][]byte, n)
	for i := range out {
		d := make([]byte, 1+rng.IntN(40))
		for j := range d {
			d[j] = byte(rng.Uint32())
		}
		out[i] = d
	}
	return out
}

// buildTree appends the leaf hashes of data to a Tree and checks, at every
// size, that Tree, Frontier, RootFromLeaves and the reference agree on the
// root.
func buildTree(t *testing.T, data [][]byte, ref *refTree) (*Tree, []Hash) {
	t.Helper()
	var tree Tree
	var frontier Frontier
	leaves := make([]Hash, len(data))
	roots := make([]Hash, len(data)+1)
	roots[0] = tree.Root()
	require.Equal(t, EmptyRoot(), roots[0])
	require.Equal(t, EmptyRoot(), frontier.Root())
	for i, d := range data {
		leaves[i] = LeafHash(d)
		tree.Append(leaves[i])
		frontier.Append(leaves[i])
		want := ref.mth(0, i+1)
		require.Equal(t, want, tree.Root(), "tree root at size %d", i+1)
		require.Equal(t, want, frontier.Root(), "frontier root at size %d", i+1)
		require.Equal(t, uint64(i+1), frontier.Size())
		roots[i+1] = want
	}
	for size := range roots {
		got, err := tree.RootAt(uint64(size))
		require.NoError(t, err)
		require.Equal(t, roots[size], got, "RootAt(%d) after growing", size)
		require.Equal(t, roots[size], RootFromLeaves(leaves[:size]), "RootFromLeaves size %d", size)
	}
	return &tree, roots
}

// tamperPair reports whether the pair (n, m) gets the tampering checks.
// Every pair up to size 128 does, and above that the first and last m and
// every third one: the checks run through the error path, which dominates
// the run time under -race, and proofs at these sizes differ from smaller
// ones only in length.
func tamperPair(n, m int) bool {
	return n <= 128 || m == 0 || m >= n-1 || m%3 == 0
}

// tamperPositions returns which hashes of a proof of length l to tamper with
// for the pair (n, m): all of them in small trees, and in larger ones the
// first, the last and one that rotates with m, to keep the run short while
// still reaching every position across pairs.
func tamperPositions(l, n, m int) []int {
	if l == 0 {
		return nil
	}
	if n <= 64 {
		out := make([]int, l)
		for i := range out {
			out[i] = i
		}
		return out
	}
	return []int{0, m % l, l - 1}
}

// flipped returns a copy of p with one bit of hash i changed.
func flipped(p []Hash, i int) []Hash {
	q := append([]Hash(nil), p...)
	q[i][i%HashSize] ^= 0x40
	return q
}

func TestInclusionExhaustive(t *testing.T) {
	t.Parallel()
	data := randomLeaves(1, exhaustiveMax)
	ref := newRefTree(data)
	tree, roots := buildTree(t, data, ref)
	extra := LeafHash([]byte("not in the tree"))

	for n := 1; n <= exhaustiveMax; n++ {
		size := uint64(n)
		for m := 0; m < n; m++ {
			index := uint64(m)
			leaf := ref.leafHash(m)
			proof, err := tree.InclusionProof(index, size)
			require.NoError(t, err)
			// slices.Equal first: testify's reflection is the slow part of
			// these 45,000 iterations.
			if want := nonNil(ref.path(m, 0, n)); !slices.Equal(want, proof) {
				require.Equal(t, want, proof, "proof for leaf %d at size %d", m, n)
			}
			if err := VerifyInclusion(leaf, index, size, proof, roots[n]); err != nil {
				t.Fatalf("leaf %d size %d: %v", m, n, err)
			}

			if !tamperPair(n, m) {
				continue
			}
			fail := func(what string, leaf Hash, index, size uint64, proof []Hash, root Hash) {
				err := VerifyInclusion(leaf, index, size, proof, root)
				if !errors.Is(err, ErrInvalidProof) && !errors.Is(err, ErrIndexOutOfRange) {
					t.Helper()
					t.Fatalf("leaf %d size %d, %s: got %v, want an invalid proof", m, n, what, err)
				}
			}
			for _, i := range tamperPositions(len(proof), n, m) {
				fail("flipped proof hash", leaf, index, size, flipped(proof, i), roots[n])
			}
			fail("extra proof hash", leaf, index, size, append(proof[:len(proof):len(proof)], extra), roots[n])
			if len(proof) > 0 {
				fail("truncated proof", leaf, index, size, proof[:len(proof)-1], roots[n])
			}
			fail("other leaf", extra, index, size, proof, roots[n])
			fail("other root", leaf, index, size, proof, roots[n-1])
			if m > 0 {
				fail("index-1", leaf, index-1, size, proof, roots[n])
			}
			if m+1 < n {
				fail("index+1", leaf, index+1, size, proof, roots[n])
			}
			// A changed size is checked with that size's true root, the
			// pair a forger would have to match.
			if m+1 < n {
				fail("size-1", leaf, index, size-1, proof, roots[n-1])
			}
			if n < exhaustiveMax {
				fail("size+1", leaf, index, size+1, proof, roots[n+1])
			}
		}
	}
}

func TestConsistencyExhaustive(t *testing.T) {
	t.Parallel()
	data := randomLeaves(2, exhaustiveMax)
	ref := newRefTree(data)
	tree, roots := buildTree(t, data, ref)
	extra := LeafHash([]byte("not in the tree"))

	for n := 0; n <= exhaustiveMax; n++ {
		for m := 0; m <= n; m++ {
			size1, size2 := uint64(m), uint64(n)
			proof, err := tree.ConsistencyProof(size1, size2)
			require.NoError(t, err)
			if want := nonNil(ref.proof(m, n)); !slices.Equal(want, proof) {
				require.Equal(t, want, proof, "proof from %d to %d", m, n)
			}
			if err := VerifyConsistency(size1, size2, roots[m], roots[n], proof); err != nil {
				t.Fatalf("from %d to %d: %v", m, n, err)
			}

			if !tamperPair(n, m) {
				continue
			}
			fail := func(what string, size1, size2 uint64, root1, root2 Hash, proof []Hash) {
				err := VerifyConsistency(size1, size2, root1, root2, proof)
				if !errors.Is(err, ErrInvalidProof) && !errors.Is(err, ErrSizeOutOfRange) {
					t.Helper()
					t.Fatalf("from %d to %d, %s: got %v, want an invalid proof", m, n, what, err)
				}
			}
			for _, i := range tamperPositions(len(proof), n, m) {
				fail("flipped proof hash", size1, size2, roots[m], roots[n], flipped(proof, i))
			}
			fail("extra proof hash", size1, size2, roots[m], roots[n], append(proof[:len(proof):len(proof)], extra))
			if len(proof) > 0 {
				fail("truncated proof", size1, size2, roots[m], roots[n], proof[:len(proof)-1])
			}
			fail("other old root", size1, size2, extra, roots[n], proof)
			// The empty tree is a prefix of every tree, so with m == 0 any
			// new root and size are consistent; with m == n the new root is
			// the old one, already tampered with above.
			newConstrained := m > 0
			if newConstrained && m < n {
				fail("other new root", size1, size2, roots[m], extra, proof)
			}
			// Changed sizes are checked with their true roots.
			// An empty proof from 0 is valid to any size.
			if m > 0 && !(m == 1 && len(proof) == 0) {
				fail("size1-1", size1-1, size2, roots[m-1], roots[n], proof)
			}
			// From 0 to 1 the proof is empty, which is also the true proof
			// from 1 to 1.
			if m < n && !(m == 0 && n == 1) {
				fail("size1+1", size1+1, size2, roots[m+1], roots[n], proof)
			}
			if newConstrained && n > m {
				fail("size2-1", size1, size2-1, roots[m], roots[n-1], proof)
			}
			if newConstrained && n < exhaustiveMax {
				fail("size2+1", size1, size2+1, roots[m], roots[n+1], proof)
			}
		}
	}
}

// TestLargeRandomTrees checks roots and sampled proofs of a few large trees
// of random sizes against the reference.
func TestLargeRandomTrees(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("large trees skipped in -short mode")
	}
	rng := rand.New(rand.NewPCG(3, 0))
	sizes := []int{1 << 12, 1<<12 + 1, 10_000 + rng.IntN(20_000), 30_000 + rng.IntN(30_000)}
	for _, n := range sizes {
		data := randomLeaves(uint64(n), n)
		ref := newRefTree(data)
		var tree Tree
		leaves := make([]Hash, n)
		for i, d := range data {
			leaves[i] = LeafHash(d)
		}
		tree.Append(leaves...)
		root := ref.mth(0, n)
		require.Equal(t, root, tree.Root(), "size %d", n)
		require.Equal(t, root, RootFromLeaves(leaves), "size %d", n)

		for range 40 {
			m := rng.IntN(n)
			proof, err := tree.InclusionProof(uint64(m), uint64(n))
			require.NoError(t, err)
			require.Equal(t, ref.path(m, 0, n), proof, "leaf %d size %d", m, n)
			assert.NoError(t, VerifyInclusion(leaves[m], uint64(m), uint64(n), proof, root))
			assert.ErrorIs(t, VerifyInclusion(leaves[m], uint64(m), uint64(n), flipped(proof, rng.IntN(len(proof))), root), ErrInvalidProof)

			old := 1 + rng.IntN(n-1)
			cproof, err := tree.ConsistencyProof(uint64(old), uint64(n))
			require.NoError(t, err)
			require.Equal(t, ref.proof(old, n), cproof, "from %d to %d", old, n)
			oldRoot := ref.mth(0, old)
			assert.NoError(t, VerifyConsistency(uint64(old), uint64(n), oldRoot, root, cproof))
			assert.ErrorIs(t, VerifyConsistency(uint64(old), uint64(n), oldRoot, root, flipped(cproof, rng.IntN(len(cproof)))), ErrInvalidProof)
		}
	}
}
