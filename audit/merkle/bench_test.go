package merkle

import (
	"crypto/sha256"
	"encoding/binary"
	"math/rand/v2"
	"sync"
	"testing"
)

// benchLeaves is the log size the benchmarks seal: a million events.
const benchLeaves = 1_000_000

// benchEventHashes returns n distinct 32-byte event hashes, standing in for
// the ledger's per-event SHA-256 hashes.
func benchEventHashes(n int) []Hash {
	out := make([]Hash, n)
	var buf [8]byte
	for i := range out {
		binary.BigEndian.PutUint64(buf[:], uint64(i))
		out[i] = sha256.Sum256(buf[:])
	}
	return out
}

// benchTree is built once and shared by the proof benchmarks: building it
// takes about as long as one root benchmark.
var benchTree = sync.OnceValues(func() (*Tree, []Hash) {
	events := benchEventHashes(benchLeaves)
	leaves := make([]Hash, len(events))
	for i, e := range events {
		leaves[i] = LeafHash(e[:])
	}
	var t Tree
	t.Append(leaves...)
	return &t, leaves
})

func reportLeafRate(b *testing.B, n int) {
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "leaves/s")
}

// BenchmarkRoot1M measures sealing a million-event log. The sha256Floor
// sub-benchmark is the baseline: the n-1 bare SHA-256 calls over 65-byte
// inputs that any RFC 6962 root needs, with no tree bookkeeping.
func BenchmarkRoot1M(b *testing.B) {
	events := benchEventHashes(benchLeaves)
	leaves := make([]Hash, len(events))
	for i, e := range events {
		leaves[i] = LeafHash(e[:])
	}

	b.Run("sha256Floor", func(b *testing.B) {
		var buf [1 + 2*HashSize]byte
		var sink Hash
		for b.Loop() {
			for range benchLeaves - 1 {
				sink = sha256.Sum256(buf[:])
				buf[1] = sink[0]
			}
		}
		reportLeafRate(b, benchLeaves)
	})
	b.Run("RootFromLeaves", func(b *testing.B) {
		for b.Loop() {
			RootFromLeaves(leaves)
		}
		reportLeafRate(b, benchLeaves)
	})
	b.Run("FrontierFromEventHashes", func(b *testing.B) {
		// The streaming seal: leaf-hash each event hash and append, O(log n)
		// memory. Twice the hashing of RootFromLeaves.
		for b.Loop() {
			var f Frontier
			for _, e := range events {
				f.Append(LeafHash(e[:]))
			}
			f.Root()
		}
		reportLeafRate(b, benchLeaves)
	})
	b.Run("TreeAppendAndRoot", func(b *testing.B) {
		// The sealing path that keeps every level for later proofs.
		for b.Loop() {
			var t Tree
			t.Append(leaves...)
			t.Root()
		}
		reportLeafRate(b, benchLeaves)
	})
}

// benchIndices returns fixed pseudo-random leaf indices below n.
func benchIndices(n uint64) []uint64 {
	rng := rand.New(rand.NewPCG(42, 0))
	out := make([]uint64, 1024)
	for i := range out {
		out[i] = rng.Uint64N(n)
	}
	return out
}

// naiveInclusionProof is the baseline for proof generation without stored
// levels: PATH(m, D[n]) with every sibling recomputed from its leaves, O(n)
// hashes per proof, which is what a Frontier-only sealer would have to do.
func naiveInclusionProof(leaves []Hash, m int) []Hash {
	if len(leaves) <= 1 {
		return nil
	}
	k := split(len(leaves))
	if m < k {
		return append(naiveInclusionProof(leaves[:k], m), RootFromLeaves(leaves[k:]))
	}
	return append(naiveInclusionProof(leaves[k:], m-k), RootFromLeaves(leaves[:k]))
}

func BenchmarkInclusionProof1M(b *testing.B) {
	tree, leaves := benchTree()
	idx := benchIndices(benchLeaves)
	proofLen := 0

	b.Run("naiveRecompute", func(b *testing.B) {
		i := 0
		for b.Loop() {
			naiveInclusionProof(leaves, int(idx[i%len(idx)]))
			i++
		}
	})
	b.Run("Tree", func(b *testing.B) {
		i := 0
		for b.Loop() {
			p, err := tree.InclusionProof(idx[i%len(idx)], benchLeaves)
			if err != nil {
				b.Fatal(err)
			}
			proofLen = len(p)
			i++
		}
		b.ReportMetric(float64(proofLen), "hashes/proof")
		b.ReportMetric(float64(proofLen*HashSize), "bytes/proof")
	})
}

func BenchmarkVerifyInclusion1M(b *testing.B) {
	tree, leaves := benchTree()
	root := tree.Root()
	idx := benchIndices(benchLeaves)
	proofs := make([][]Hash, len(idx))
	for i, m := range idx {
		p, err := tree.InclusionProof(m, benchLeaves)
		if err != nil {
			b.Fatal(err)
		}
		proofs[i] = p
	}
	i := 0
	for b.Loop() {
		j := i % len(idx)
		if err := VerifyInclusion(leaves[idx[j]], idx[j], benchLeaves, proofs[j], root); err != nil {
			b.Fatal(err)
		}
		i++
	}
	b.ReportMetric(float64(len(proofs[0])), "hashes/proof")
}

func BenchmarkConsistency1M(b *testing.B) {
	tree, _ := benchTree()
	root2 := tree.Root()
	sizes := benchIndices(benchLeaves - 1)
	for i := range sizes {
		sizes[i]++ // 1 <= size1 < size2
	}
	proofs := make([][]Hash, len(sizes))
	roots := make([]Hash, len(sizes))
	total := 0
	for i, s := range sizes {
		p, err := tree.ConsistencyProof(s, benchLeaves)
		if err != nil {
			b.Fatal(err)
		}
		proofs[i] = p
		total += len(p)
		if roots[i], err = tree.RootAt(s); err != nil {
			b.Fatal(err)
		}
	}

	b.Run("Proof", func(b *testing.B) {
		i := 0
		for b.Loop() {
			if _, err := tree.ConsistencyProof(sizes[i%len(sizes)], benchLeaves); err != nil {
				b.Fatal(err)
			}
			i++
		}
		b.ReportMetric(float64(total)/float64(len(sizes)), "hashes/proof")
		b.ReportMetric(float64(total*HashSize)/float64(len(sizes)), "bytes/proof")
	})
	b.Run("Verify", func(b *testing.B) {
		i := 0
		for b.Loop() {
			j := i % len(sizes)
			if err := VerifyConsistency(sizes[j], benchLeaves, roots[j], root2, proofs[j]); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
}
