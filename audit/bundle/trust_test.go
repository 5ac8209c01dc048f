package bundle_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/audit"
	"github.com/disputes-ledger/disputes/audit/bundle"
	"github.com/disputes-ledger/disputes/audit/checkpoint"
	"github.com/disputes-ledger/disputes/audit/merkle"
	"github.com/disputes-ledger/disputes/domain/policy"
)

// A bundle, whole or partial, is held to the checkpoint the auditor brings.
func TestBundleAgainstTrustedCheckpoint(t *testing.T) {
	t.Parallel()
	l := newLedger(t, 7, policy.Default(), false)
	stored, err := l.seals.Seals(context.Background())
	require.NoError(t, err)
	middle := stored[1]
	lastTicket := strings.TrimPrefix(l.log.Records[len(l.log.Records)-1].Stream, "ticket-")
	sign := func(size uint64, root merkle.Hash) []byte {
		text, err := checkpoint.Sign(sealKey, checkpoint.Checkpoint{Origin: "example.com/ledger", Size: size, Root: root})
		require.NoError(t, err)
		return text
	}
	tests := []struct {
		name    string
		trusted []byte
		want    []audit.Check
	}{
		{"a seal's checkpoint", sign(middle.Size, middle.Root), nil},
		{"another root at a seal's size", sign(middle.Size, merkle.LeafHash([]byte("fork"))), []audit.Check{audit.CheckFork}},
		{"beyond every seal", sign(stored[2].Size+10, merkle.LeafHash([]byte("later"))), []audit.Check{audit.CheckRollback}},
		{"between seals, its seal gone", sign(middle.Size-1, rootAt(t, l, middle.Size-1)), []audit.Check{audit.CheckSealMissing}},
	}
	for _, scope := range []bundle.Scope{{Kind: bundle.ScopeAll}, {Kind: bundle.ScopeTicket, Ticket: lastTicket}} {
		buf, _ := l.export(t, scope)
		for _, tc := range tests {
			rep, err := bundle.Verify(bytes.NewReader(buf.Bytes()), "b", audit.Options{PublicKey: pub(), TrustedCheckpoint: tc.trusted})
			require.NoError(t, err)
			got := checks(rep)
			if scope.Kind == bundle.ScopeAll && tc.name == "another root at a seal's size" {
				// The whole log also shows its own root disagreeing.
				assert.Equal(t, 2, rep.Counts[audit.CheckFork], "%s %s", scope, tc.name)
			}
			if tc.want == nil {
				assert.Empty(t, got, "%s %s: %+v", scope, tc.name, rep.Findings)
				continue
			}
			assert.Equal(t, tc.want, got, "%s %s: %+v", scope, tc.name, rep.Findings)
		}
	}
}

// rootAt is the log's true root at size.
func rootAt(t *testing.T, l *ledger, size uint64) merkle.Hash {
	t.Helper()
	leaves := make([]merkle.Hash, size)
	for i := range leaves {
		var err error
		leaves[i], err = audit.LeafOf(l.log.Records[i].Data)
		require.NoError(t, err)
	}
	return merkle.RootFromLeaves(leaves)
}
