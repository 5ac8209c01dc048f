package audit_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/audit"
	"github.com/disputes-ledger/disputes/audit/internal/fixture"
	"github.com/disputes-ledger/disputes/domain/policy"
	"github.com/disputes-ledger/disputes/events"
)

// TestVerifyShardsAgree verifies one log, tampered in many ways across many
// batches, with its tickets checked on 1, 2 and 5 goroutines: the
// reports must be identical, findings in content and order, warnings
// included, whether every finding is listed or only the first few. Among
// the tampering, rows whose stream column is another ticket's: the column
// is the hint the event is decoded by, never where it is checked.
func TestVerifyShardsAgree(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	m := memoryLog(t, 600)
	require.Greater(t, len(m.Records), 8*512, "the log must span many batches")

	// Rulings whose rules were broken, rewritten with fresh hashes so that
	// only the legality replay objects, before the log is sealed.
	rulings := 0
	for _, r := range m.Records {
		if r.Type != events.TypeRulingRecorded {
			continue
		}
		rulings++
		switch rulings % 7 {
		case 1:
			rewriteEvent(t, m, r.Position, func(e *events.Envelope) { e.Actor = events.Actor{Role: events.RoleAgent, ID: "cs-9"} })
		case 3:
			rewriteEvent(t, m, r.Position, func(e *events.Envelope) {
				p := e.Payload.(events.RulingRecorded)
				p.Late = !p.Late
				e.Payload = p
			})
		case 5:
			rewriteEvent(t, m, r.Position, func(e *events.Envelope) {
				p := e.Payload.(events.RulingRecorded)
				p.Evidence = []string{"ev-never-recorded"}
				e.Payload = p
			})
		}
	}
	requests := 0
	for _, r := range m.Records {
		if r.Type == events.TypeRefundRequested {
			if requests++; requests%97 == 0 {
				rewriteEvent(t, m, r.Position, func(e *events.Envelope) {
					p := e.Payload.(events.RefundRequested)
					p.PolicyVersion = fmt.Sprintf("1999-lost-%d", requests%2)
					e.Payload = p
				})
			}
		}
	}
	seals := &fixture.Seals{}
	s, err := audit.NewSealer(m, seals, sealKey, steppingClock(t0))
	require.NoError(t, err)
	_, _, err = s.SealToHead(ctx)
	require.NoError(t, err)

	// Then changes the seal catches: bytes, a column, a missing event.
	n := len(m.Records)
	for _, at := range []int{n / 5, n / 2} {
		data := append([]byte(nil), m.Records[at].Data...)
		data[len(data)/2]++
		m.Records[at].Data = data
	}
	m.Records[n/3].Type = events.TypeTicketWithdrawn
	// Rows whose stream column names another ticket than their bytes: the
	// Verifier decodes each on the shard the column names, and must check
	// it on its own ticket's.
	for at := n / 8; at < n/2; at += n / 40 {
		m.Records[at].Stream = m.Records[at+n/4].Stream
	}
	m.Records = append(m.Records[:2*n/3], m.Records[2*n/3+1:]...)

	edited := policy.Default()
	edited.CompensationMultiple = 3
	for _, tc := range []struct {
		pol         policy.Policy
		maxFindings int
	}{{policy.Default(), -1}, {policy.Default(), 10}, {edited, -1}} {
		pol, maxFindings := tc.pol, tc.maxFindings
		var reports []*audit.Report
		for _, workers := range []int{1, 2, 5} {
			rep, err := audit.VerifyLog(ctx, "tampered", m, seals, audit.Options{PublicKey: sealPub(),
				Policies: audit.NewPolicySet(pol), MaxFindings: maxFindings, Workers: workers})
			require.NoError(t, err)
			reports = append(reports, rep)
		}
		serial := reports[0]
		for _, c := range []audit.Check{audit.CheckRulingRole, audit.CheckRulingLate, audit.CheckRulingEvidence,
			audit.CheckPolicyUnknown, audit.CheckEventHash, audit.CheckColumnMismatch, audit.CheckLogGap, audit.CheckSealRoot} {
			assert.True(t, serial.Has(c), "no %s finding: %v", c, serial.Counts)
		}
		assert.NotEmpty(t, serial.Warnings)
		if maxFindings > 0 {
			assert.Positive(t, serial.Omitted)
		}
		for i, rep := range reports[1:] {
			assert.Equal(t, serial, rep, "policy %s, max findings %d: one goroutine and %d disagree", pol.SHA256()[:8], maxFindings, []int{2, 5}[i])
		}
	}
}
