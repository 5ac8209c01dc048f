package audit_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/audit"
	"github.com/disputes-ledger/disputes/audit/internal/fixture"
	"github.com/disputes-ledger/disputes/domain/policy"
	"github.com/disputes-ledger/disputes/events"
)

// TestVerifyReportsTheEndTheSameEveryRun: what the replay finds only at the
// end of the log (a ruling citing evidence never recorded, a decision left
// unfinished) was reported in the order of Go's map iteration over the
// tickets and the citations, so one ledger gave a different report from
// run to run and from one worker count to another, and with MaxFindings
// reached a different choice of findings listed. Every run and every
// worker count must give the same report.
func TestVerifyReportsTheEndTheSameEveryRun(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	m := memoryLog(t, 300)
	rulings := 0
	for _, r := range m.Records {
		if r.Type != events.TypeRulingRecorded {
			continue
		}
		rulings++
		rewriteEvent(t, m, r.Position, func(e *events.Envelope) {
			p := e.Payload.(events.RulingRecorded)
			p.Evidence = []string{fmt.Sprintf("ev-lost-%d-a", rulings), fmt.Sprintf("ev-lost-%d-b", rulings), fmt.Sprintf("ev-lost-%d-c", rulings)}
			e.Payload = p
		})
	}
	require.Greater(t, rulings, 10)
	opts := func(workers, maxFindings int) audit.Options {
		return audit.Options{Policies: audit.NewPolicySet(policy.Default()), MaxFindings: maxFindings, Workers: workers}
	}
	all, err := audit.VerifyLog(ctx, "cited", m, &fixture.Seals{}, opts(1, -1))
	require.NoError(t, err)
	require.GreaterOrEqual(t, all.Counts[audit.CheckRulingEvidence], 3*10)
	// A cap that falls among the findings made at the end.
	capped := len(all.Findings) - all.Counts[audit.CheckRulingEvidence]/2
	for _, maxFindings := range []int{-1, capped} {
		var first *audit.Report
		for run := range 12 {
			workers := []int{1, 2, 3, 5}[run%4]
			rep, err := audit.VerifyLog(ctx, "cited", m, &fixture.Seals{}, opts(workers, maxFindings))
			require.NoError(t, err)
			if first == nil {
				first = rep
				continue
			}
			require.Equal(t, first, rep, "max findings %d, run %d (%d workers) differs from the first", maxFindings, run, workers)
		}
	}
}
