package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/disputes-ledger/disputes/commands"
	"github.com/disputes-ledger/disputes/domain"
	"github.com/disputes-ledger/disputes/domain/scenarios"
	"github.com/disputes-ledger/disputes/events"
	"github.com/disputes-ledger/disputes/eventstore/sqlite"
	"github.com/disputes-ledger/disputes/internal/clock"
)

// demoCmd is `disputes demo`. Its ledger is not DISPUTES_DB's: the demo
// starts by deleting the file.
type demoCmd struct {
	DB      string `name:"db" default:"disputes-demo.db" placeholder:"PATH" help:"demo ledger file (SQLite), deleted and written afresh"`
	Store   string `name:"store" env:"DISPUTES_STORE" placeholder:"URL" help:"event store URL, overrides --db: sqlite:PATH, postgres://… or kurrentdb://…"`
	Policy  string `name:"policy" env:"DISPUTES_POLICY" placeholder:"FILE" help:"policy JSON file (default: built-in policy)"`
	Tickets int    `name:"tickets" default:"300" placeholder:"N" help:"generated tickets besides the five seed disputes"`
	Seed    int64  `name:"seed" default:"1" placeholder:"N" help:"random seed of the generated tickets"`
	Show    string `name:"show" placeholder:"TICKET" help:"ticket whose timeline to print (default: the counterfeit ruling)"`
}

func (c *demoCmd) Run(ctx context.Context, e env) error {
	sf := storeFlags{DB: c.DB, Store: c.Store, Policy: c.Policy}
	tickets, seed, show := &c.Tickets, &c.Seed, &c.Show
	if *tickets < 0 || *tickets > 1_000_000 {
		return fmt.Errorf("%w: --tickets must be between 0 and 1000000", errUsage)
	}
	pol, err := sf.loadPolicy()
	if err != nil {
		return err
	}
	if err := removeLedger(ctx, sf.DB); err != nil {
		return err
	}
	store, err := sf.open(ctx)
	if err != nil {
		return err
	}
	defer store.Close()
	loc := pol.BusinessCalendar().Location()

	start := time.Date(2026, 11, 2, 9, 30, 0, 0, loc)
	seeds := scenarios.Seeds(start)
	all := append(scenarios.Generate(*seed, *tickets, start.AddDate(0, -3, 0), pol), seeds...)
	fmt.Fprintf(e.stdout, "disputes demo — ledger %s, policy %s\n", sf.describe(), pol.Version)
	fmt.Fprintf(e.stdout, "Playing %d seed disputes and %d generated tickets through the command path on a simulated clock…\n\n", len(seeds), *tickets)

	// Scripted steps carry their own times; the scheduler's expiries are
	// decided at the simulated clock, which it moves from due time to due time.
	clk := clock.NewManualClock(time.Time{})
	h := commands.NewHandler(store, commands.WithPolicy(pol), commands.WithClientTime(), commands.WithClock(clk.Now))
	readModels, err := followReadModels(ctx, store, sf, pol)
	if err != nil {
		return err
	}
	sim, err := newSimulation(store, readModels.db, h, clk)
	if err != nil {
		return errors.Join(err, readModels.finish(ctx, io.Discard))
	}
	began := time.Now()
	if err := sim.run(ctx, all, progressPrinter(e.stderr)); err != nil {
		return errors.Join(fmt.Errorf("simulation: %w", err), readModels.finish(ctx, io.Discard))
	}
	elapsed := time.Since(began)

	printDemoSummary(e.stdout, sim, elapsed)
	fmt.Fprintln(e.stdout)
	printSeedTable(e.stdout, sim, seeds)
	if err := readModels.finish(ctx, e.stdout); err != nil {
		return err
	}

	focus := *show
	if focus == "" {
		focus = counterfeitTicket(seeds)
	}
	if focus != "" {
		_, envs, err := commands.LoadTicket(ctx, store, focus)
		if err != nil {
			return err
		}
		if len(envs) == 0 {
			return fmt.Errorf("ticket %s not found", focus)
		}
		fmt.Fprintf(e.stdout, "\nTimeline of ticket %s (times in %s):\n\n", focus, loc)
		steps := domain.Timeline(envs, nil)
		printTimeline(e.stdout, steps, loc)
		fmt.Fprintln(e.stdout)
		last := steps[len(steps)-1]
		printState(e.stdout, last.State, last.EffectiveAt, loc)
		// The hint's moment is one of this run's own steps: the ticket's
		// times depend on when the demo ran, so a fixed date could show nothing.
		asOf := steps[min(1, len(steps)-1)].EffectiveAt.In(loc).Format(time.RFC3339)
		fmt.Fprintf(e.stdout, "\nExplore: disputes show --db %s %s | disputes history --db %s --as-of '%s' %s\n", sf.DB, focus, sf.DB, asOf, focus)
	}
	return nil
}

// removeLedger deletes a previous demo ledger: the demo always starts
// fresh. A file there that is not a ledger this program knows is refused,
// never deleted.
func removeLedger(ctx context.Context, path string) error {
	if _, err := os.Stat(path); err == nil {
		if err := sqlite.CheckLedgerFile(ctx, path); err != nil {
			return fmt.Errorf("demo ledger %s: %w: the demo replaces only a ledger", path, err)
		}
	}
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("remove old demo ledger: %w", err)
		}
	}
	return nil
}

func progressPrinter(w io.Writer) func(done, total int) {
	isTTY := false
	if f, ok := w.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
			isTTY = true
		}
	}
	if !isTTY {
		return nil
	}
	return func(done, total int) {
		fmt.Fprintf(w, "\r  %d/%d steps", done, total)
		if done+200 >= total {
			fmt.Fprint(w, "\r\033[K")
		}
	}
}

func printDemoSummary(w io.Writer, sim *simulation, elapsed time.Duration) {
	byStatus := map[string]int{}
	var refunded, compensation int64
	var currency string
	for _, t := range sim.tickets {
		key := string(t.Status)
		if t.Resolution != "" {
			key = "closed: " + string(t.Resolution)
		}
		byStatus[key]++
		refunded += t.Refunded
		compensation += t.Compensation
		currency = t.Currency
	}
	st := sim.stats
	fmt.Fprintf(w, "Recorded %d events from %d commands in %s (%.0f commands/s, durable).\n",
		st.events, st.commands, elapsed.Round(time.Millisecond), float64(st.commands)/elapsed.Seconds())
	fmt.Fprintf(w, "Deadlines fired by the scheduler: %d. Commands refused by the rules: %d.\n\n", st.fired, st.refused)

	tw := newTable(w, true)
	fmt.Fprintln(tw, "TICKETS BY OUTCOME\tCOUNT\tSHARE\t")
	keys := make([]string, 0, len(byStatus))
	for k := range byStatus {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		return byStatus[keys[i]] > byStatus[keys[j]] || byStatus[keys[i]] == byStatus[keys[j]] && keys[i] < keys[j]
	})
	for _, k := range keys {
		fmt.Fprintf(tw, "%s\t%d\t%.1f%%\t\n", k, byStatus[k], 100*float64(byStatus[k])/float64(len(sim.tickets)))
	}
	fmt.Fprintf(tw, "total\t%d\t\t\n", len(sim.tickets))
	tw.Flush()
	fmt.Fprintf(w, "\nRefunded %s; counterfeit compensation ordered %s.\n", events.Money(refunded, currency), events.Money(compensation, currency))
	if len(st.refusals) > 0 {
		var parts []string
		for k, n := range st.refusals {
			parts = append(parts, fmt.Sprintf("%s ×%d", k, n))
		}
		sort.Strings(parts)
		fmt.Fprintf(w, "Refusals: %s.\n", strings.Join(parts, "; "))
	}
}

func printSeedTable(w io.Writer, sim *simulation, seeds []scenarios.Scenario) {
	tw := newTable(w, false)
	fmt.Fprintln(tw, "SEED DISPUTE\tTICKET\tOUTCOME\tREFUNDED\tLIABILITY")
	for _, sc := range seeds {
		t := sim.tickets[sc.TicketID]
		outcome := string(t.Status)
		if t.Resolution != "" {
			outcome = string(t.Resolution)
		}
		liability := string(t.Liability)
		if t.Compensation > 0 {
			liability += fmt.Sprintf(" (+%s compensation)", events.Money(t.Compensation, t.Currency))
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", sc.Title, sc.TicketID, outcome, events.Money(t.Refunded, t.Currency), orDash(liability))
	}
	tw.Flush()
}

func counterfeitTicket(seeds []scenarios.Scenario) string {
	for _, sc := range seeds {
		if strings.Contains(strings.ToLower(sc.Name), "counterfeit") {
			return sc.TicketID
		}
	}
	if len(seeds) > 0 {
		return seeds[0].TicketID
	}
	return ""
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}
