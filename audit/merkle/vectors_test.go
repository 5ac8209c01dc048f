package merkle

import (
	"crypto/sha256"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// vectorLeaves are the leaves of the reference test tree used by the
// Certificate Transparency implementations.
var vectorLeaves = [][]byte{
	{},
	{0x00},
	{0x10},
	{0x20, 0x21},
	{0x30, 0x31},
	{0x40, 0x41, 0x42, 0x43},
	{0x50, 0x51, 0x52, 0x53, 0x54, 0x55, 0x56, 0x57},
	{0x60, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6a, 0x6b, 0x6c, 0x6d, 0x6e, 0x6f},
}

func mustHash(t testing.TB, s string) Hash {
	t.Helper()
	h, err := ParseHash(s)
	require.NoError(t, err)
	return h
}

func mustHashes(t testing.TB, ss ...string) []Hash {
	t.Helper()
	out := make([]Hash, len(ss))
	for i, s := range ss {
		out[i] = mustHash(t, s)
	}
	return out
}

func vectorTree(t testing.TB) *Tree {
	t.Helper()
	var tree Tree
	for _, d := range vectorLeaves {
		tree.Append(LeafHash(d))
	}
	return &tree
}

// TestHandDerivedValues checks the first levels of the vector tree against
// values derived by hand from the definitions, with sha256 called directly:
//
//	leaf 0 = SHA-256(0x00)                 = 6e340b9c…
//	leaf 1 = SHA-256(0x00 0x00)            = 96a296d2…
//	root 2 = SHA-256(0x01 || leaf0 || leaf1) = fac54203…
//	root 3 = SHA-256(0x01 || root2 || leaf2) (split at k = 2)
func TestHandDerivedValues(t *testing.T) {
	t.Parallel()
	leaf0 := sha256.Sum256([]byte{0x00})
	leaf1 := sha256.Sum256([]byte{0x00, 0x00})
	leaf2 := sha256.Sum256([]byte{0x00, 0x10})
	root2 := sha256.Sum256(append(append([]byte{0x01}, leaf0[:]...), leaf1[:]...))
	root3 := sha256.Sum256(append(append([]byte{0x01}, root2[:]...), leaf2[:]...))

	assert.Equal(t, "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d", Hash(leaf0).String())
	assert.Equal(t, "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7", Hash(leaf1).String())
	assert.Equal(t, "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125", Hash(root2).String())

	assert.Equal(t, Hash(leaf0), LeafHash(vectorLeaves[0]))
	assert.Equal(t, Hash(leaf1), LeafHash(vectorLeaves[1]))
	assert.Equal(t, Hash(root2), NodeHash(leaf0, leaf1))
	assert.Equal(t, Hash(root3), RootFromLeaves([]Hash{leaf0, leaf1, leaf2}))
	assert.Equal(t, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", EmptyRoot().String())
}

func TestVectorRoots(t *testing.T) {
	t.Parallel()
	// Roots of the first n vector leaves, n = 1..8.
	want := []string{
		"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
		"fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
		"aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
		"d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
		"4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
		"76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
		"ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
		"5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
	}
	tree := vectorTree(t)
	ref := newRefTree(vectorLeaves)
	leaves := make([]Hash, len(vectorLeaves))
	for i, d := range vectorLeaves {
		leaves[i] = LeafHash(d)
	}
	for i, w := range want {
		size := uint64(i + 1)
		got, err := tree.RootAt(size)
		require.NoError(t, err)
		assert.Equal(t, w, got.String(), "tree root at size %d", size)
		assert.Equal(t, w, RootFromLeaves(leaves[:size]).String(), "RootFromLeaves size %d", size)
		assert.Equal(t, w, ref.mth(0, int(size)).String(), "reference root size %d", size)
	}
}

func TestVectorInclusionProofs(t *testing.T) {
	t.Parallel()
	tests := []struct {
		index, size uint64
		proof       []string
	}{
		{0, 1, nil},
		{0, 8, []string{
			"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
			"5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
			"6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
		}},
		{5, 8, []string{
			"bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
			"ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
			"d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
		}},
		{2, 3, []string{
			"fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
		}},
		{1, 5, []string{
			"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
			"5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
			"bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
		}},
	}
	tree := vectorTree(t)
	ref := newRefTree(vectorLeaves)
	for _, tt := range tests {
		want := mustHashes(t, tt.proof...)
		got, err := tree.InclusionProof(tt.index, tt.size)
		require.NoError(t, err)
		assert.Equal(t, want, got, "proof for leaf %d at size %d", tt.index, tt.size)
		assert.Equal(t, want, nonNil(ref.path(int(tt.index), 0, int(tt.size))), "reference proof for leaf %d at size %d", tt.index, tt.size)

		root, err := tree.RootAt(tt.size)
		require.NoError(t, err)
		assert.NoError(t, VerifyInclusion(LeafHash(vectorLeaves[tt.index]), tt.index, tt.size, want, root))
	}
}

func TestVectorConsistencyProofs(t *testing.T) {
	t.Parallel()
	tests := []struct {
		size1, size2 uint64
		proof        []string
	}{
		{1, 1, nil},
		{1, 8, []string{
			"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
			"5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
			"6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
		}},
		{6, 8, []string{
			"0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
			"ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
			"d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
		}},
		{2, 5, []string{
			"5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
			"bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
		}},
	}
	tree := vectorTree(t)
	ref := newRefTree(vectorLeaves)
	for _, tt := range tests {
		want := mustHashes(t, tt.proof...)
		got, err := tree.ConsistencyProof(tt.size1, tt.size2)
		require.NoError(t, err)
		assert.Equal(t, want, got, "proof from %d to %d", tt.size1, tt.size2)
		assert.Equal(t, want, nonNil(ref.proof(int(tt.size1), int(tt.size2))), "reference proof from %d to %d", tt.size1, tt.size2)

		root1, err := tree.RootAt(tt.size1)
		require.NoError(t, err)
		root2, err := tree.RootAt(tt.size2)
		require.NoError(t, err)
		assert.NoError(t, VerifyConsistency(tt.size1, tt.size2, root1, root2, want))
	}
}

// nonNil turns a nil proof into an empty one, the form Tree returns.
func nonNil(p []Hash) []Hash {
	if p == nil {
		return []Hash{}
	}
	return p
}
