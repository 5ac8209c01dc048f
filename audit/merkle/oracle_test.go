package merkle_test

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
	"github.com/transparency-dev/merkle/testonly"

	"github.com/disputes-ledger/disputes/audit/merkle"
)

// The oracle tests hold this package to an independent implementation of
// RFC 6962, github.com/transparency-dev/merkle (a test-only dependency):
// the same leaves must give the same roots and byte-identical proofs, and
// each side's proofs must verify under the other side's verifier.

// oracleMax is the largest size checked for every index and size pair.
const oracleMax = 130

// oracleTrees builds our Tree and the oracle's tree over the same data.
func oracleTrees(t *testing.T, seed uint64, n int) (*merkle.Tree, *testonly.Tree, []merkle.Hash) {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 0x6f7261636c65))
	ours := &merkle.Tree{}
	oracle := testonly.New(rfc6962.DefaultHasher)
	var frontier merkle.Frontier
	leaves := make([]merkle.Hash, n)
	for i := range n {
		data := make([]byte, rng.IntN(48))
		for j := range data {
			data[j] = byte(rng.Uint32())
		}
		leaves[i] = merkle.LeafHash(data)
		require.Equal(t, rfc6962.DefaultHasher.HashLeaf(data), leaves[i][:], "leaf hash of leaf %d", i)
		ours.Append(leaves[i])
		frontier.Append(leaves[i])
		oracle.AppendData(data)
		require.Equal(t, oracle.Hash(), bytesOf(frontier.Root()), "frontier root at size %d", i+1)
	}
	return ours, oracle, leaves
}

func hashes(hs [][]byte) []merkle.Hash {
	out := make([]merkle.Hash, len(hs))
	for i, h := range hs {
		out[i] = merkle.Hash(h)
	}
	return out
}

func bytesOf(h merkle.Hash) []byte { return h[:] }

func raw(hs []merkle.Hash) [][]byte {
	out := make([][]byte, len(hs))
	for i := range hs {
		out[i] = bytesOf(hs[i])
	}
	return out
}

// checkInclusion compares one inclusion proof both ways.
func checkInclusion(t *testing.T, ours *merkle.Tree, oracle *testonly.Tree, leaves []merkle.Hash, index, size uint64) {
	t.Helper()
	got, err := ours.InclusionProof(index, size)
	require.NoError(t, err)
	want, err := oracle.InclusionProof(index, size)
	require.NoError(t, err)
	require.Equal(t, hashes(want), got, "inclusion proof of leaf %d at size %d", index, size)
	root := merkle.Hash(oracle.HashAt(size))
	require.NoError(t, proof.VerifyInclusion(rfc6962.DefaultHasher, index, size, leaves[index][:], raw(got), root[:]),
		"the oracle verifies our proof of leaf %d at size %d", index, size)
	require.NoError(t, merkle.VerifyInclusion(leaves[index], index, size, hashes(want), root),
		"we verify the oracle's proof of leaf %d at size %d", index, size)
	if len(got) > 0 {
		bad := append([]merkle.Hash(nil), got...)
		bad[len(bad)/2][0] ^= 1
		require.Error(t, proof.VerifyInclusion(rfc6962.DefaultHasher, index, size, leaves[index][:], raw(bad), root[:]))
		require.Error(t, merkle.VerifyInclusion(leaves[index], index, size, bad, root))
	}
}

// checkConsistency compares one consistency proof both ways.
func checkConsistency(t *testing.T, ours *merkle.Tree, oracle *testonly.Tree, size1, size2 uint64) {
	t.Helper()
	got, err := ours.ConsistencyProof(size1, size2)
	require.NoError(t, err)
	want, err := oracle.ConsistencyProof(size1, size2)
	require.NoError(t, err)
	require.Equal(t, hashes(want), got, "consistency proof %d→%d", size1, size2)
	root1, root2 := merkle.Hash(oracle.HashAt(size1)), merkle.Hash(oracle.HashAt(size2))
	require.NoError(t, proof.VerifyConsistency(rfc6962.DefaultHasher, size1, size2, raw(got), root1[:], root2[:]),
		"the oracle verifies our proof %d→%d", size1, size2)
	require.NoError(t, merkle.VerifyConsistency(size1, size2, root1, root2, hashes(want)),
		"we verify the oracle's proof %d→%d", size1, size2)
	if len(got) > 0 {
		bad := append([]merkle.Hash(nil), got...)
		bad[0][31] ^= 0x80
		require.Error(t, proof.VerifyConsistency(rfc6962.DefaultHasher, size1, size2, raw(bad), root1[:], root2[:]))
		require.Error(t, merkle.VerifyConsistency(size1, size2, root1, root2, bad))
	}
}

func TestAgreesWithOracleOnEverySmallTree(t *testing.T) {
	t.Parallel()
	ours, oracle, leaves := oracleTrees(t, 1, oracleMax)
	for size := uint64(0); size <= oracleMax; size++ {
		got, err := ours.RootAt(size)
		require.NoError(t, err)
		require.Equal(t, oracle.HashAt(size), bytesOf(got), "root at size %d", size)
		for index := range size {
			checkInclusion(t, ours, oracle, leaves, index, size)
		}
		for size1 := uint64(0); size1 <= size; size1++ {
			checkConsistency(t, ours, oracle, size1, size)
		}
	}
}

func TestAgreesWithOracleOnRandomLargeTrees(t *testing.T) {
	t.Parallel()
	const n = 5000
	ours, oracle, leaves := oracleTrees(t, 2, n)
	rng := rand.New(rand.NewPCG(3, 4))
	for range 400 {
		size := 1 + rng.Uint64N(n)
		got, err := ours.RootAt(size)
		require.NoError(t, err)
		require.Equal(t, oracle.HashAt(size), bytesOf(got), "root at size %d", size)
		checkInclusion(t, ours, oracle, leaves, rng.Uint64N(size), size)
		checkConsistency(t, ours, oracle, rng.Uint64N(size+1), size)
	}
	// Powers of two and their neighbours are where the proof shapes change.
	for shift := range 13 {
		for _, size := range []uint64{1<<shift - 1, 1 << shift, 1<<shift + 1} {
			if size == 0 || size > n {
				continue
			}
			checkInclusion(t, ours, oracle, leaves, size-1, size)
			checkConsistency(t, ours, oracle, size, n)
			checkConsistency(t, ours, oracle, size/2+1, size)
		}
	}
}
