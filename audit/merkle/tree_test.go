package merkle

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestTreeRangeErrors(t *testing.T) {
	t.Parallel()
	tree := vectorTree(t) // 8 leaves
	tests := []struct {
		name string
		call func() error
		want error
	}{
		{"leaf past the end", func() error { _, err := tree.Leaf(8); return err }, ErrIndexOutOfRange},
		{"root past the end", func() error { _, err := tree.RootAt(9); return err }, ErrSizeOutOfRange},
		{"inclusion size past the end", func() error { _, err := tree.InclusionProof(0, 9); return err }, ErrSizeOutOfRange},
		{"inclusion index = size", func() error { _, err := tree.InclusionProof(5, 5); return err }, ErrIndexOutOfRange},
		{"inclusion in the empty tree", func() error { _, err := tree.InclusionProof(0, 0); return err }, ErrIndexOutOfRange},
		{"consistency size2 past the end", func() error { _, err := tree.ConsistencyProof(3, 9); return err }, ErrSizeOutOfRange},
		{"consistency size1 > size2", func() error { _, err := tree.ConsistencyProof(5, 4); return err }, ErrSizeOutOfRange},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			assert.ErrorIs(t, tt.call(), tt.want)
		})
	}
}

func TestTreeLeafAndSize(t *testing.T) {
	t.Parallel()
	var tree Tree
	assert.Equal(t, uint64(0), tree.Size())
	assert.Equal(t, EmptyRoot(), tree.Root())
	tree.Append(LeafHash([]byte("a")), LeafHash([]byte("b")))
	tree.Append(LeafHash([]byte("c")))
	assert.Equal(t, uint64(3), tree.Size())
	got, err := tree.Leaf(2)
	require.NoError(t, err)
	assert.Equal(t, LeafHash([]byte("c")), got)
}

func TestVerifyInclusionErrors(t *testing.T) {
	t.Parallel()
	tree := vectorTree(t)
	root := tree.Root()
	leaf := LeafHash(vectorLeaves[5])
	proof, err := tree.InclusionProof(5, 8)
	require.NoError(t, err)

	err = VerifyInclusion(leaf, 8, 8, proof, root)
	assert.ErrorIs(t, err, ErrIndexOutOfRange)

	err = VerifyInclusion(LeafHash(vectorLeaves[4]), 5, 8, proof, root)
	var mismatch *RootMismatchError
	require.ErrorAs(t, err, &mismatch)
	assert.ErrorIs(t, err, ErrInvalidProof)
	assert.Equal(t, uint64(8), mismatch.Size)
	assert.Equal(t, root, mismatch.Expected)
	assert.NotEqual(t, root, mismatch.Computed)
	assert.Contains(t, err.Error(), "leaf 5 in tree size 8", "the error names the claim")

	err = VerifyInclusion(leaf, 5, 8, proof[:2], root)
	assert.ErrorIs(t, err, ErrInvalidProof)
	assert.False(t, errors.As(err, &mismatch), "a short proof is not a root mismatch")
}

func TestVerifyConsistencyEdgeCases(t *testing.T) {
	t.Parallel()
	tree := vectorTree(t)
	root := func(size uint64) Hash {
		r, err := tree.RootAt(size)
		require.NoError(t, err)
		return r
	}
	some := []Hash{root(1)}
	tests := []struct {
		name         string
		size1, size2 uint64
		root1, root2 Hash
		proof        []Hash
		want         error // nil for success
	}{
		{"empty to empty", 0, 0, EmptyRoot(), EmptyRoot(), nil, nil},
		{"empty to any", 0, 7, EmptyRoot(), root(7), nil, nil},
		{"empty with a wrong old root", 0, 7, root(1), root(7), nil, ErrInvalidProof},
		{"empty with a non-empty proof", 0, 7, EmptyRoot(), root(7), some, ErrInvalidProof},
		{"equal sizes", 5, 5, root(5), root(5), nil, nil},
		{"equal sizes, different roots", 5, 5, root(5), root(4), nil, ErrInvalidProof},
		{"equal sizes, non-empty proof", 5, 5, root(5), root(5), some, ErrInvalidProof},
		{"shrinking", 6, 5, root(6), root(5), nil, ErrSizeOutOfRange},
		{"growing with no proof", 4, 8, root(4), root(8), nil, ErrInvalidProof},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := VerifyConsistency(tt.size1, tt.size2, tt.root1, tt.root2, tt.proof)
			if tt.want == nil {
				assert.NoError(t, err)
				return
			}
			assert.ErrorIs(t, err, tt.want)
		})
	}
}

func TestVerifyConsistencyNamesTheMismatchedTree(t *testing.T) {
	t.Parallel()
	tree := vectorTree(t)
	proof, err := tree.ConsistencyProof(6, 8)
	require.NoError(t, err)
	root6, err := tree.RootAt(6)
	require.NoError(t, err)
	root8 := tree.Root()

	var mismatch *RootMismatchError
	require.ErrorAs(t, VerifyConsistency(6, 8, root8, root8, proof), &mismatch)
	assert.Equal(t, uint64(6), mismatch.Size, "a wrong old root is reported against the old size")
	assert.Equal(t, root6, mismatch.Computed)

	require.ErrorAs(t, VerifyConsistency(6, 8, root6, root6, proof), &mismatch)
	assert.Equal(t, uint64(8), mismatch.Size, "a wrong new root is reported against the new size")
	assert.Equal(t, root8, mismatch.Computed)
}
