package main

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/projections/views"
)

// runCLI runs the binary's entry point in-process.
func runCLI(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(context.Background(), args, strings.NewReader(stdin), &out, &errOut)
	return code, out.String(), errOut.String()
}

const execInput = `{"command_id":"c1","ticket_id":"T-1","actor":{"role":"buyer","id":"b-1"},"command":"open_ticket","at":"2026-11-02T02:00:00Z","data":{"order_id":"O-1","merchant_id":"m-1","kind":"return_refund","reason":"quality","currency":"CNY","amount_paid":19900,"requested":19900,"order_shipped":true,"delivered_at":"2026-10-30T02:00:00Z"}}
{"command_id":"c2","ticket_id":"T-1","actor":{"role":"merchant","id":"m-1"},"command":"reject","at":"2026-11-02T05:00:00Z","data":{"reason":"人为损坏"}}
{"command_id":"c2","ticket_id":"T-1","actor":{"role":"merchant","id":"m-1"},"command":"reject","at":"2026-11-02T05:00:00Z","data":{"reason":"人为损坏"}}
{"command_id":"c3","ticket_id":"T-1","actor":{"role":"merchant","id":"m-2"},"command":"agree","at":"2026-11-02T06:00:00Z","data":{"return_address":"x"}}
not json
{"command_id":"c4","ticket_id":"T-1","actor":{"role":"buyer","id":"b-1"},"command":"request_intervention","at":"2026-11-03T02:00:00Z","data":{"reason":"商家拒绝"}}
`

func TestExecShowHistory(t *testing.T) {
	t.Parallel()
	db := filepath.Join(t.TempDir(), "ledger.db")

	code, out, _ := runCLI(t, execInput, "exec", "--db", db, "--client-time")
	assert.Equal(t, 1, code, "some commands failed: exit 1")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	require.Len(t, lines, 6)
	var results []execOutcome
	for _, l := range lines {
		var o execOutcome
		require.NoError(t, json.Unmarshal([]byte(l), &o))
		results = append(results, o)
	}
	assert.True(t, results[0].OK)
	assert.True(t, results[1].OK)
	assert.True(t, results[2].Duplicate, "same command id twice is recorded once")
	assert.Equal(t, "not_found", results[3].Kind, "another merchant's ticket reads as none")
	assert.Equal(t, "validation", results[4].Kind)
	assert.True(t, results[5].OK)
	assert.Equal(t, "negotiation", results[5].Status)

	code, out, _ = runCLI(t, "", "show", "--db", db, "T-1")
	require.Equal(t, 0, code)
	assert.Contains(t, out, "negotiation")
	assert.Contains(t, out, "locked")
	assert.Contains(t, out, "ruling_sla")

	code, out, _ = runCLI(t, "", "history", "--db", db, "T-1")
	require.Equal(t, 0, code)
	assert.Contains(t, out, "rejected: 人为损坏")
	assert.Contains(t, out, "requested platform intervention")

	code, out, _ = runCLI(t, "", "history", "--db", db, "--json", "--as-of", "2026-11-02T05:30:00Z", "T-1")
	require.Equal(t, 0, code)
	var entries []struct {
		EventID    string           `json:"event_id"`
		Type       string           `json:"type"`
		StateAfter views.TicketView `json:"state_after"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &entries))
	require.Len(t, entries, 2, "as of 05:30 only the request and the rejection had happened")
	for _, en := range entries {
		_, err := uuid.Parse(en.EventID)
		assert.NoError(t, err, "each step names its event, the handle prove takes")
	}
	assert.NotEqual(t, entries[0].EventID, entries[1].EventID)
	assert.Equal(t, "rejected", string(entries[1].StateAfter.Status))
}

func TestUsageErrors(t *testing.T) {
	t.Parallel()
	db := filepath.Join(t.TempDir(), "none.db")
	tests := []struct {
		args []string
		code int
		msg  string
	}{
		{nil, 2, ""},
		{[]string{"teleport"}, 2, "unknown command"},
		{[]string{"show", "--db", db}, 2, "exactly one TICKET"},
		{[]string{"show", "--db", db, "T-1"}, 1, "create one with"},
		{[]string{"history", "--bogus"}, 2, "unknown flag --bogus"},
		{[]string{"show", "T-1", "T-2", "--db", db}, 2, "unexpected argument T-2"},
		{[]string{"history", "--db", db, "--as-of", "yesterday", "T"}, 2, "cannot read"},
		{[]string{"show", "--help"}, 0, ""},
	}
	for _, tc := range tests {
		code, _, errOut := runCLI(t, "", tc.args...)
		assert.Equal(t, tc.code, code, "%v: %s", tc.args, errOut)
		assert.Contains(t, errOut, tc.msg, "%v", tc.args)
	}
	code, out, _ := runCLI(t, "", "show", "--help")
	assert.Equal(t, 0, code)
	assert.True(t, strings.HasPrefix(out, "Usage: disputes show"), "help goes to stdout: %s", out)
}

func TestExecRefusesClientTimeByDefault(t *testing.T) {
	t.Parallel()
	db := filepath.Join(t.TempDir(), "ledger.db")
	code, out, _ := runCLI(t, strings.SplitN(execInput, "\n", 2)[0]+"\n", "exec", "--db", db)
	assert.Equal(t, 1, code)
	assert.Contains(t, out, "client-supplied time")
}

// TestExecActsAsSystemOnlyWhenAsked: an input file may speak for the
// scheduler only with --allow-system, and even then a client's line may not
// borrow an id from the system namespace.
func TestExecActsAsSystemOnlyWhenAsked(t *testing.T) {
	t.Parallel()
	open := strings.SplitN(execInput, "\n", 2)[0] + "\n"
	expire := `{"command_id":"expire:T-1:merchant_response:1793844000","ticket_id":"T-1","actor":{"role":"system","id":"scheduler"},"command":"expire_deadline","at":"2026-11-20T02:00:00Z","data":{"deadline":"merchant_response"}}` + "\n"
	borrowed := `{"command_id":"expire:T-1:x","ticket_id":"T-1","actor":{"role":"merchant","id":"m-1"},"command":"post_message","at":"2026-11-02T03:00:00Z","data":{"text":"hi"}}` + "\n"
	outcomes := func(out string) []execOutcome {
		var os []execOutcome
		for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
			var o execOutcome
			require.NoError(t, json.Unmarshal([]byte(l), &o), l)
			os = append(os, o)
		}
		return os
	}

	db := filepath.Join(t.TempDir(), "ledger.db")
	code, out, _ := runCLI(t, open+borrowed+expire, "exec", "--db", db, "--client-time")
	assert.Equal(t, 1, code)
	got := outcomes(out)
	require.Len(t, got, 3)
	assert.True(t, got[0].OK)
	assert.Equal(t, "validation", got[1].Kind)
	assert.Contains(t, got[1].Error, "command_id")
	assert.Equal(t, "validation", got[2].Kind)
	assert.Contains(t, got[2].Error, "--allow-system")
	assert.Equal(t, uint64(0), *got[0].Revision)

	code, out, _ = runCLI(t, expire, "exec", "--db", db, "--client-time", "--allow-system")
	assert.Equal(t, 0, code, out)
	got = outcomes(out)
	require.Len(t, got, 1)
	assert.True(t, got[0].OK, got[0].Error)
	assert.Contains(t, got[0].Events, "deadline.expired")
}

func TestHumanDuration(t *testing.T) {
	t.Parallel()
	for d, want := range map[time.Duration]string{
		0: "0m", 40 * time.Second: "1m", 5 * time.Minute: "5m", 6*time.Hour + 13*time.Minute: "6h13m",
		27 * time.Hour: "27h", 2*time.Hour + 5*time.Minute + 20*time.Second: "2h05m",
	} {
		assert.Equal(t, want, humanDuration(d), d.String())
	}
}
