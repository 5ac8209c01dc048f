package scheduler_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/commands"
	"github.com/disputes-ledger/disputes/events"
	"github.com/disputes-ledger/disputes/eventstore/sqlite"
	"github.com/disputes-ledger/disputes/internal/clock"
)

// TestWriteStartupLedger writes the ledger BENCHMARKS.md's scheduler
// start-up figures are measured on (testdata/startup.sh): DISPUTES_SCHEDULER_TICKETS
// (default 40,000) generated disputes played to their close, and three
// tickets whose merchant_response is long overdue, into the SQLite file
// DISPUTES_SCHEDULER_LEDGER. Skipped unless that is set.
func TestWriteStartupLedger(t *testing.T) {
	path := os.Getenv("DISPUTES_SCHEDULER_LEDGER")
	if path == "" {
		t.Skip("set DISPUTES_SCHEDULER_LEDGER to write the start-up measurement's ledger")
	}
	n := 40_000
	if s := os.Getenv("DISPUTES_SCHEDULER_TICKETS"); s != "" {
		var err error
		n, err = strconv.Atoi(s)
		require.NoError(t, err)
	}
	store, err := sqlite.Open(context.Background(), path, sqlite.Config{MaxBatch: 1024, QueueSize: 4096})
	require.NoError(t, err)
	defer store.Close()
	appendClosedTickets(t, store, n)
	h := commands.NewHandler(store, commands.WithClock(clock.NewManualClock(t0).Now))
	for i := range 3 {
		do(t, h, fmt.Sprintf("T-open-%d", i), buyer, open(events.KindRefundOnly))
	}
}
