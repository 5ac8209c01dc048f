package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/disputes-ledger/disputes/projections"
)

func runQuery(ctx context.Context, e env) error {
	const synopsis = "query tickets|merchants|audit [--db PATH] [--projections PATH] [filters] [--format table|json|csv]"
	if len(e.args) == 0 || strings.HasPrefix(e.args[0], "-") {
		if len(e.args) > 0 && (e.args[0] == "-h" || e.args[0] == "--help") {
			fmt.Fprintf(e.stderr, "Usage: disputes %s\n\nRun 'disputes query tickets --help' for the filters.\n", synopsis)
			return nil
		}
		return fmt.Errorf("%w: want tickets, merchants or audit (usage: disputes %s)", errUsage, synopsis)
	}
	what := e.args[0]
	fs := newFlags(env{args: e.args[1:], stdin: e.stdin, stdout: e.stdout, stderr: e.stderr}, "query "+what, synopsis)
	var sf storeFlags
	sf.register(fs)
	var rf readModelFlags
	rf.register(fs)
	format := fs.String("format", "table", "output format: table, json or csv")
	limit := fs.Int("limit", 0, "at most this many rows (0: all)")
	merchant := fs.String("merchant", "", "only this merchant")
	since := fs.String("since", "", "from this time on (inclusive), e.g. 2026-11-02 or 2026-11-02T10:00:00+08:00")
	until := fs.String("until", "", "before this time (exclusive)")
	var state, ticket, eventType, actor, windowEnd *string
	var flagged *bool
	switch what {
	case "tickets":
		state = fs.String("state", "", "only tickets in this state, e.g. under_review or closed")
	case "audit":
		ticket = fs.String("ticket", "", "only this ticket's events")
		eventType = fs.String("type", "", "only events of this type, e.g. ruling.recorded")
		actor = fs.String("actor", "", "only events by this role, e.g. merchant")
	case "merchants":
		windowEnd = fs.String("window-end", "", "end of the rolling score window (default: now)")
		flagged = fs.Bool("flagged", false, "only merchants flagged for review")
	default:
		return fmt.Errorf("%w: unknown read model %q (want tickets, merchants or audit)", errUsage, what)
	}
	if err := parseFlags(fs, e.args[1:]); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: unexpected argument %q", errUsage, fs.Arg(0))
	}
	out, err := newRowWriter(e.stdout, *format)
	if err != nil {
		return err
	}
	pol, err := sf.loadPolicy()
	if err != nil {
		return err
	}
	loc := pol.BusinessCalendar().Location()
	from, to, err := timeRange(*since, *until, loc)
	if err != nil {
		return err
	}
	db, err := rf.openReadOnly(ctx, sf)
	if err != nil {
		return err
	}
	defer db.Close()

	switch what {
	case "tickets":
		rows, err := projections.Tickets(ctx, db, projections.TicketQuery{State: *state, MerchantID: *merchant, Since: from, Until: to, Limit: *limit})
		if err != nil {
			return err
		}
		return write(out, rows, []string{"ticket_id", "merchant_id", "buyer_id", "kind", "state", "locked", "requested", "refunded",
			"compensation", "currency", "next_deadline", "next_deadline_at", "opened_at", "closed_at", "resolution", "liability"},
			func(r projections.TicketRow) []string {
				return []string{r.TicketID, r.MerchantID, r.BuyerID, r.Kind, r.State, strconv.FormatBool(r.Locked),
					money(r.Requested), money(r.Refunded), money(r.Compensation), r.Currency, r.NextDeadlineKind,
					timeOrEmpty(r.NextDeadlineAt, loc), r.OpenedAt.In(loc).Format(timeLayout), timeOrEmpty(r.ClosedAt, loc),
					r.Resolution, r.Liability}
			})
	case "audit":
		rows, err := projections.Audit(ctx, db, projections.AuditQuery{TicketID: *ticket, MerchantID: *merchant, EventType: *eventType,
			ActorRole: *actor, Since: from, Until: to, Limit: *limit})
		if err != nil {
			return err
		}
		return write(out, rows, []string{"position", "ticket_id", "revision", "occurred_at", "actor", "event_type", "summary", "command_id", "hash"},
			func(r projections.AuditRow) []string {
				return []string{strconv.FormatUint(r.Position, 10), r.TicketID, strconv.FormatUint(r.Revision, 10),
					r.OccurredAt.In(loc).Format("2006-01-02 15:04:05"), r.ActorRole + ":" + r.ActorID, r.EventType, r.Summary,
					r.CommandID, out.hash(r.Hash)}
			})
	default: // merchants
		end := time.Now()
		if *windowEnd != "" {
			if end, err = parseTime(*windowEnd, loc); err != nil {
				return fmt.Errorf("%w: --window-end: %v", errUsage, err)
			}
		}
		scores, err := projections.Scores(ctx, db, end, pol)
		if err != nil {
			return err
		}
		var rows []projections.MerchantScore
		for _, s := range scores {
			if (*merchant == "" || s.MerchantID == *merchant) && (!*flagged || s.Flagged) {
				rows = append(rows, s)
			}
		}
		if *limit > 0 && len(rows) > *limit {
			rows = rows[:*limit]
		}
		return write(out, rows, []string{"merchant_id", "score", "flagged", "breakdown", "disputes_opened", "intervention_rate",
			"rulings_won", "rulings_lost", "merchant_liable_rate", "median_first_response", "policy_version", "window_start", "window_end"},
			func(s projections.MerchantScore) []string {
				return []string{s.MerchantID, strconv.Itoa(s.Score), strconv.FormatBool(s.Flagged), breakdown(s.Breakdown),
					strconv.Itoa(s.DisputesOpened), fmt.Sprintf("%.3f", s.InterventionRate), strconv.Itoa(s.RulingsWon),
					strconv.Itoa(s.RulingsLost), fmt.Sprintf("%.3f", s.MerchantLiableRate), s.MedianFirstResponse.String(),
					s.PolicyVersion, s.WindowStart.In(loc).Format(time.RFC3339), s.WindowEnd.In(loc).Format(time.RFC3339)}
			})
	}
}

func timeRange(since, until string, loc *time.Location) (from, to time.Time, err error) {
	if since != "" {
		if from, err = parseTime(since, loc); err != nil {
			return from, to, fmt.Errorf("%w: --since: %v", errUsage, err)
		}
	}
	if until != "" {
		if to, err = parseTime(until, loc); err != nil {
			return from, to, fmt.Errorf("%w: --until: %v", errUsage, err)
		}
	}
	return from, to, nil
}

func timeOrEmpty(t *time.Time, loc *time.Location) string {
	if t == nil {
		return ""
	}
	return t.In(loc).Format(timeLayout)
}

// money writes minor units as a decimal amount without currency.
func money(minor int64) string { return fmt.Sprintf("%d.%02d", minor/100, minor%100) }

// rowWriter writes query results as an aligned table, JSON (the rows' own
// fields, one array) or CSV (the table's columns, with a header).
type rowWriter struct {
	w      io.Writer
	format string
}

func newRowWriter(w io.Writer, format string) (*rowWriter, error) {
	switch format {
	case "table", "json", "csv":
		return &rowWriter{w: w, format: format}, nil
	}
	return nil, fmt.Errorf("%w: --format %q: want table, json or csv", errUsage, format)
}

// hash shortens a hash in a table; JSON and CSV keep it whole.
func (o *rowWriter) hash(h string) string {
	if o.format == "table" {
		return short(h)
	}
	return h
}

// write renders rows; cells gives a row's table and CSV cells in cols order.
func write[T any](o *rowWriter, rows []T, cols []string, cells func(T) []string) error {
	switch o.format {
	case "json":
		if rows == nil {
			rows = []T{}
		}
		enc := json.NewEncoder(o.w)
		enc.SetIndent("", "  ")
		return enc.Encode(rows)
	case "csv":
		cw := csv.NewWriter(o.w)
		if err := cw.Write(cols); err != nil {
			return err
		}
		for _, r := range rows {
			if err := cw.Write(cells(r)); err != nil {
				return err
			}
		}
		cw.Flush()
		return cw.Error()
	}
	tw := newTable(o.w, false)
	fmt.Fprintln(tw, strings.ToUpper(strings.Join(cols, "\t")))
	for _, r := range rows {
		fmt.Fprintln(tw, strings.Join(cells(r), "\t"))
	}
	return tw.Flush()
}
