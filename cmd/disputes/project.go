package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/disputes-ledger/disputes/cmd/internal/readmodels"
	"github.com/disputes-ledger/disputes/cmd/internal/storeurl"
	"github.com/disputes-ledger/disputes/domain/policy"
	"github.com/disputes-ledger/disputes/eventstore"
	"github.com/disputes-ledger/disputes/projections"
)

// readModelFlags choose where the read models live.
type readModelFlags struct {
	Projections string `name:"projections" env:"DISPUTES_PROJECTIONS" placeholder:"URL" help:"read models: an SQLite file (sqlite:PATH) or postgres://… (default: the ledger's own database — its SQLite file or PostgreSQL database — or the --db file beside KurrentDB)"`
}

// where locates the read models of the ledger sf names.
func (r *readModelFlags) where(sf storeFlags) (readmodels.Where, error) {
	w, err := readmodels.Locate(sf.url(), r.Projections, sf.DB)
	switch {
	case errors.Is(err, readmodels.ErrUnsupported):
		return w, fmt.Errorf("%w: --projections: %v", errUsage, err)
	case err != nil && r.Projections != "":
		return w, fmt.Errorf("--projections: %w", err)
	}
	return w, err
}

// open opens the read models for the ledger chosen by sf, to write them.
func (r *readModelFlags) open(ctx context.Context, sf storeFlags) (*projections.DB, error) {
	w, err := r.where(sf)
	if err != nil {
		return nil, err
	}
	return readmodels.Open(ctx, w)
}

// openLater opens the read models to write them without reaching the
// database yet (readmodels.OpenLater): for serve's supervised projectors.
func (r *readModelFlags) openLater(sf storeFlags) (*projections.DB, error) {
	w, err := r.where(sf)
	if err != nil {
		return nil, err
	}
	return readmodels.OpenLater(w)
}

// openReadOnly opens the read models for queries only: nothing is created
// or written. Read models in a SQLite ledger's own file need that file to
// be a ledger.
func (r *readModelFlags) openReadOnly(ctx context.Context, sf storeFlags) (*projections.DB, error) {
	w, err := r.where(sf)
	if err != nil {
		return nil, err
	}
	return readmodels.OpenReadOnly(ctx, w)
}

// readModels opens the ledger, its policy and its read models for a command.
func readModels(ctx context.Context, sf storeFlags, rf readModelFlags) (eventstore.Store, *projections.DB, policy.Policy, error) {
	pol, err := sf.loadPolicy()
	if err != nil {
		return nil, nil, policy.Policy{}, err
	}
	// They read the log from their checkpoints on: mapped, every page
	// read would stay resident (storeurl.Options.Scan).
	store, err := sf.openExistingWith(ctx, storeurl.Options{Scan: true})
	if err != nil {
		return nil, nil, policy.Policy{}, err
	}
	db, err := rf.open(ctx, sf)
	if err != nil {
		return nil, nil, policy.Policy{}, errors.Join(err, store.Close())
	}
	return store, db, pol, nil
}

// projectCmd is `disputes project`.
type projectCmd struct {
	storeFlags
	readModelFlags
	Follow bool `name:"follow" help:"keep projecting new events until interrupted"`
}

func (c *projectCmd) Run(ctx context.Context, e env) error {
	sf, rf, follow := c.storeFlags, c.readModelFlags, &c.Follow
	store, db, pol, err := readModels(ctx, sf, rf)
	if err != nil {
		return err
	}
	defer store.Close()
	defer db.Close()
	if *follow {
		fmt.Fprintln(e.stderr, "Projecting the ledger and following it; interrupt to stop.")
	}
	rep, err := projections.NewProjector(store, db, projections.Default(db, pol), projections.Options{Follow: *follow}).Run(ctx)
	printRunReport(e.stdout, rep)
	return err
}

// printRunReport writes what a run did, projection by projection, with the
// events and parked failures.
func printRunReport(w io.Writer, rep projections.Report) {
	tw := newTable(w, false)
	fmt.Fprintln(tw, "PROJECTION\tFROM\tTO\tEVENTS\tSTATUS")
	for _, p := range rep.Projections {
		status := "at head"
		if rep.Head == 0 {
			status = "stopped"
		}
		if p.Failure != nil {
			status = fmt.Sprintf("STOPPED at position %d: %s", p.Failure.Position, firstLine(p.Failure.Reason))
			if p.Failure.Parked {
				status += " (parked)"
			}
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%s\n", p.Name, p.From, p.To, p.Events(), status)
	}
	tw.Flush()
	if rate := rep.Rate(); rate > 0 {
		fmt.Fprintf(w, "%s in %s (%.0f events/s through all projections).\n", countOf(rep), rep.Elapsed.Round(time.Millisecond), rate)
	}
}

func countOf(rep projections.Report) string {
	var most uint64
	for _, p := range rep.Projections {
		most = max(most, p.Events())
	}
	if most == 1 {
		return "1 event"
	}
	return fmt.Sprintf("%d events", most)
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// printLeaderboard writes the merchants' penalty scores, most penalised
// first, top n of them (all for n <= 0).
func printLeaderboard(w io.Writer, scores []projections.MerchantScore, n int) {
	if len(scores) == 0 {
		fmt.Fprintln(w, "No merchant has tickets or penalties in the window.")
		return
	}
	s0 := scores[0]
	fmt.Fprintf(w, "Merchant penalty scores, %s to %s (policy %s):\n\n", s0.WindowStart.Format("2006-01-02"), s0.WindowEnd.Format("2006-01-02"), orDash(policyOf(scores)))
	tw := newTable(w, false)
	fmt.Fprintln(tw, "MERCHANT\tSCORE\tREVIEW\tDISPUTES\tINTERVENED\tRULINGS W/L\tMEDIAN 1ST REPLY\tBREAKDOWN")
	for i, s := range scores {
		if n > 0 && i == n {
			break
		}
		flag := ""
		if s.Flagged {
			flag = "FLAGGED"
		}
		reply := "—"
		if s.FirstResponses > 0 {
			reply = humanDuration(seconds(s.MedianFirstResponseSeconds))
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%d\t%.0f%%\t%d/%d\t%s\t%s\n", s.MerchantID, s.Score, flag, s.DisputesOpened,
			100*s.InterventionRate, s.RulingsWon, s.RulingsLost, reply, breakdown(s.Breakdown))
	}
	tw.Flush()
	if n > 0 && len(scores) > n {
		fmt.Fprintf(w, "… and %d more merchants.\n", len(scores)-n)
	}
}

func policyOf(scores []projections.MerchantScore) string {
	for _, s := range scores {
		if s.PolicyVersion != "" {
			return s.PolicyVersion
		}
	}
	return ""
}

// breakdown writes points by reason, largest first: "counterfeit 12, no_evidence 4".
func breakdown(b map[projections.PenaltyReason]int) string {
	type kv struct {
		reason string
		points int
	}
	var parts []kv
	for r, p := range b {
		parts = append(parts, kv{string(r), p})
	}
	if len(parts) == 0 {
		return "—"
	}
	sort.Slice(parts, func(i, j int) bool { // largest first, then by name, for a stable line
		return parts[i].points > parts[j].points || parts[i].points == parts[j].points && parts[i].reason < parts[j].reason
	})
	out := make([]string, len(parts))
	for i, p := range parts {
		out[i] = fmt.Sprintf("%s %d", p.reason, p.points)
	}
	return strings.Join(out, ", ")
}

// printStatusCounts writes how many tickets are in each status.
func printStatusCounts(w io.Writer, counts []projections.StatusCount) {
	total := 0
	for _, c := range counts {
		total += c.Tickets
	}
	tw := newTable(w, true)
	fmt.Fprintln(tw, "TICKET STATUS (read model)\tTICKETS\t")
	for _, c := range counts {
		name := c.Status
		if c.Resolution != "" {
			name += ": " + c.Resolution
		}
		fmt.Fprintf(tw, "%s\t%d\t\n", name, c.Tickets)
	}
	fmt.Fprintf(tw, "total\t%d\t\n", total)
	tw.Flush()
}

// readModelFollower keeps the read models following the ledger while the
// demo plays, as a server would.
type readModelFollower struct {
	store eventstore.Store
	db    *projections.DB
	pol   policy.Policy
	stop  context.CancelFunc
	done  chan error
}

// followReadModels starts projecting the ledger's log into its read models
// in the background.
func followReadModels(ctx context.Context, store eventstore.Store, sf storeFlags, pol policy.Policy) (*readModelFollower, error) {
	var rf readModelFlags // the demo keeps them where a server would by default
	db, err := rf.open(ctx, sf)
	if err != nil {
		return nil, err
	}
	// Brought to the head first, so the tables exist before the
	// simulation's scheduler reads the open deadlines.
	if _, err := projections.RunToHead(ctx, store, db, pol); err != nil {
		return nil, errors.Join(fmt.Errorf("read models: %w", err), db.Close())
	}
	fctx, stop := context.WithCancel(ctx)
	f := &readModelFollower{store: store, db: db, pol: pol, stop: stop, done: make(chan error, 1)}
	go func() {
		_, err := projections.NewProjector(store, db, projections.Default(db, pol), projections.Options{Follow: true}).Run(fctx)
		f.done <- err
	}()
	return f, nil
}

// finish stops following, brings the read models to the head and prints
// the merchant leaderboard and the ticket-status counts from them.
func (f *readModelFollower) finish(ctx context.Context, w io.Writer) error {
	defer f.db.Close()
	f.stop()
	if err := <-f.done; err != nil {
		return fmt.Errorf("read models: %w", err)
	}
	followed, err := projections.Reads{DB: f.db}.Checkpoints(ctx)
	if err != nil {
		return err
	}
	rep, err := projections.RunToHead(ctx, f.store, f.db, f.pol)
	if err != nil {
		return fmt.Errorf("read models: %w", err)
	}
	end, err := projections.LatestEventTime(ctx, f.db)
	if err != nil {
		return err
	}
	scores, err := projections.Scores(ctx, f.db, end, f.pol)
	if err != nil {
		return err
	}
	counts, err := projections.StatusCounts(ctx, f.db)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "\nRead models (package projections): %d of %d events projected while the simulation ran, the rest on catching up.\n\n",
		followed[projections.AuditTrailName], rep.Head)
	printLeaderboard(w, scores, 10)
	fmt.Fprintln(w)
	printStatusCounts(w, counts)
	return nil
}

// humanDuration prints a duration to the minute without trailing zero units:
// 6h13m rather than 6h13m0s.
func humanDuration(d time.Duration) string {
	d = d.Round(time.Minute)
	h, m := int(d/time.Hour), int(d%time.Hour/time.Minute)
	switch {
	case h == 0:
		return fmt.Sprintf("%dm", m)
	case m == 0:
		return fmt.Sprintf("%dh", h)
	}
	return fmt.Sprintf("%dh%02dm", h, m)
}
