package seal_test

import (
	"crypto/ed25519"
	"crypto/sha256"
	"fmt"
	"time"

	"github.com/disputes-ledger/disputes/audit/merkle"
	"github.com/disputes-ledger/disputes/audit/seal"
)

// Example seals a log twice as it grows, then verifies, as an auditor would,
// both seals and that the second extends the first.
func Example() {
	seed := sha256.Sum256([]byte("example seal key"))
	priv := ed25519.NewKeyFromSeed(seed[:])
	pub := priv.Public().(ed25519.PublicKey)

	// Leaf i is the leaf hash of the i-th event's 32-byte hash.
	var tree merkle.Tree
	for i := range 1000 {
		eventHash := sha256.Sum256(fmt.Appendf(nil, "event %d", i+1))
		tree.Append(merkle.LeafHash(eventHash[:]))
	}
	at := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	root700, _ := tree.RootAt(700)
	first, _ := seal.Sign(priv, 700, root700, at)
	second, _ := seal.Sign(priv, 1000, tree.Root(), at.Add(time.Hour))

	proof, _ := tree.ConsistencyProof(first.Size, second.Size)
	fmt.Println(first.Verify(pub), second.Verify(pub))
	fmt.Println(merkle.VerifyConsistency(first.Size, second.Size, first.Root, second.Root, proof))
	fmt.Println(len(proof), "hashes prove the log only grew")
	// Output:
	// <nil> <nil>
	// <nil>
	// 9 hashes prove the log only grew
}
