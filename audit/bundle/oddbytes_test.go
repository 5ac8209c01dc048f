package bundle_test

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/audit/bundle"
	"github.com/disputes-ledger/disputes/audit/internal/fixture"
	"github.com/disputes-ledger/disputes/domain/policy"
)

// TestVerifyRefusesOddBytesInEventLines: verify reads event lines in place
// from the blocks it reads the bundle into (lineReader) and takes the
// fast form without parsing it whole (fastEvent). Odd bytes a hostile
// operator might slip into an event line — a NUL after it or inside a
// value, two lines run together with a bare CR, a control character, a
// byte that is not UTF-8, a character escaped that is written raw — are
// each caught, not skipped, split or read as the event they spell.
func TestVerifyRefusesOddBytesInEventLines(t *testing.T) {
	t.Parallel()
	l := newLedger(t, 4, policy.Default(), false)
	one, _ := l.export(t, bundle.Scope{Kind: bundle.ScopeTicket, Ticket: fixture.TicketID(0)})
	for name, f := range map[string]func(ls [][]byte, i int) [][]byte{
		"a NUL after the line": func(ls [][]byte, i int) [][]byte { ls[i] = append(ls[i], 0); return ls },
		"a NUL in a value": func(ls [][]byte, i int) [][]byte {
			ls[i] = bytes.Replace(ls[i], []byte(`"command_id":"`), []byte("\"command_id\":\"\x00"), 1)
			return ls
		},
		"a tab in a value": func(ls [][]byte, i int) [][]byte {
			ls[i] = bytes.Replace(ls[i], []byte(`"command_id":"`), []byte("\"command_id\":\"\t"), 1)
			return ls
		},
		"a byte that is not UTF-8": func(ls [][]byte, i int) [][]byte {
			ls[i] = bytes.Replace(ls[i], []byte(`"command_id":"`), []byte("\"command_id\":\"\xff"), 1)
			return ls
		},
		// The same value in other bytes: the event's hash would match its
		// content, but only its canonical bytes are an event.
		"a character written as an escape": func(ls [][]byte, i int) [][]byte {
			j := bytes.Index(ls[i], []byte(`"command_id":"`)) + len(`"command_id":"`)
			ls[i] = append(append(bytes.Clone(ls[i][:j]), fmt.Sprintf(`\u%04x`, ls[i][j])...), ls[i][j+1:]...)
			return ls
		},
		"two lines run together by a bare CR": func(ls [][]byte, i int) [][]byte {
			ls[i] = append(append(ls[i], '\r'), ls[i+1]...)
			return append(ls[:i+1], ls[i+2:]...)
		},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			tampered := edit(bytes.Clone(one.Bytes()), func(ls [][]byte) [][]byte { return f(ls, eventLine(t, ls, 1)) })
			require.NotEqual(t, one.Bytes(), tampered)
			rep := verify(t, tampered, pub())
			assert.False(t, rep.OK(), "findings: %+v", rep.Findings)
		})
	}
	assert.True(t, verify(t, one.Bytes(), pub()).OK(), "the bundle untouched verifies")
}
