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

// queryCmd is `disputes query tickets|merchants|audit`.
type queryCmd struct {
	Tickets   queryTicketsCmd   `cmd:"" help:"tickets and their status (read model ticket_status)"`
	Merchants queryMerchantsCmd `cmd:"" help:"merchants' penalty scores over the rolling window"`
	Audit     queryAuditCmd     `cmd:"" help:"the audit trail: every event, filtered"`
}

// queryFlags are the flags every read model takes.
type queryFlags struct {
	storeFlags
	readModelFlags
	Format   string `name:"format" default:"table" placeholder:"table|json|csv" help:"output format: table, json or csv"`
	Limit    int    `name:"limit" placeholder:"N" help:"at most this many rows (0: all)"`
	Merchant string `name:"merchant" placeholder:"ID" help:"only this merchant"`
	Since    string `name:"since" placeholder:"TIME" help:"from this time on (inclusive), e.g. 2026-11-02 or 2026-11-02T10:00:00+08:00"`
	Until    string `name:"until" placeholder:"TIME" help:"before this time (exclusive)"`
}

type queryTicketsCmd struct {
	queryFlags
	Status string `name:"status" help:"only tickets in this status, e.g. under_review or closed"`
	Buyer  string `name:"buyer" placeholder:"ID" help:"only this buyer's tickets"`
	Kind   string `name:"kind" help:"only tickets of this kind: refund_only, return_refund or exchange"`
	Cursor string `name:"cursor" help:"with --limit: start after the page that printed this cursor"`
}

func (c *queryTicketsCmd) Run(ctx context.Context, e env) error {
	return runQuery(ctx, e, "tickets", c.queryFlags, queryFilters{status: c.Status, buyer: c.Buyer, kind: c.Kind, cursor: c.Cursor})
}

type queryAuditCmd struct {
	queryFlags
	Ticket string `name:"ticket" placeholder:"ID" help:"only this ticket's events"`
	Type   string `name:"type" help:"only events of this type, e.g. ruling.recorded"`
	Actor  string `name:"actor" placeholder:"ROLE" help:"only events by this role, e.g. merchant"`
	Cursor string `name:"cursor" help:"with --limit: start after the page that printed this cursor"`
}

func (c *queryAuditCmd) Run(ctx context.Context, e env) error {
	return runQuery(ctx, e, "audit", c.queryFlags, queryFilters{ticket: c.Ticket, eventType: c.Type, actor: c.Actor, cursor: c.Cursor})
}

type queryMerchantsCmd struct {
	queryFlags
	WindowEnd string `name:"window-end" placeholder:"TIME" help:"end of the rolling score window (default: now)"`
	Flagged   bool   `name:"flagged" help:"only merchants flagged for review"`
}

func (c *queryMerchantsCmd) Run(ctx context.Context, e env) error {
	return runQuery(ctx, e, "merchants", c.queryFlags, queryFilters{windowEnd: c.WindowEnd, flagged: c.Flagged})
}

// queryFilters are the flags only some read models take.
type queryFilters struct {
	status, buyer, kind, ticket, eventType, actor, windowEnd, cursor string
	flagged                                                          bool
}

func runQuery(ctx context.Context, e env, what string, q queryFlags, x queryFilters) error {
	sf, rf := q.storeFlags, q.readModelFlags
	format, limit, merchant, since, until := &q.Format, &q.Limit, &q.Merchant, &q.Since, &q.Until
	status, buyer, kind, ticket, eventType, actor, windowEnd, cursor, flagged := &x.status, &x.buyer, &x.kind, &x.ticket, &x.eventType, &x.actor, &x.windowEnd, &x.cursor, &x.flagged
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
	reads := projections.Reads{DB: db, Policy: pol}

	switch what {
	case "tickets":
		f := projections.TicketFilter{Status: *status, BuyerID: *buyer, MerchantID: *merchant, Kind: *kind,
			OpenedFrom: from, OpenedTo: to, Now: time.Now(), Limit: *limit}
		if err := f.Validate(); err != nil {
			return fmt.Errorf("%w: %v", errUsage, err)
		}
		if *cursor != "" {
			if f.After, err = projections.ParseTicketCursor(*cursor); err != nil {
				return fmt.Errorf("%w: --cursor: %v", errUsage, err)
			}
		}
		page, err := reads.Tickets(ctx, f)
		if err != nil {
			return err
		}
		if err := write(out, page.Items, ticketColumns(loc)); err != nil {
			return err
		}
		if page.HasMore {
			fmt.Fprintf(e.stderr, "More tickets follow: add --cursor %s\n", page.Next)
		}
		return nil
	case "audit":
		f := projections.AuditFilter{TicketID: *ticket, MerchantID: *merchant, EventType: *eventType,
			ActorRole: *actor, From: from, To: to, Limit: *limit}
		if *cursor != "" {
			if f.AfterPosition, err = projections.ParseAuditCursor(*cursor); err != nil {
				return fmt.Errorf("%w: --cursor: %v", errUsage, err)
			}
		}
		page, err := reads.AuditTrail(ctx, f)
		if err != nil {
			return err
		}
		if err := write(out, page.Entries, auditColumns(loc, out)); err != nil {
			return err
		}
		if page.HasMore {
			fmt.Fprintf(e.stderr, "More events follow: add --cursor %s\n", projections.AuditCursor(page.Entries[len(page.Entries)-1].Position))
		}
		return nil
	default: // merchants
		end := time.Now()
		if *windowEnd != "" {
			if end, err = parseTime(*windowEnd, loc); err != nil {
				return fmt.Errorf("%w: --window-end: %v", errUsage, err)
			}
		}
		scores, err := reads.Scores(ctx, projections.ScoreFilter{WindowEnd: end, MerchantID: *merchant, FlaggedOnly: *flagged, Limit: *limit})
		if err != nil {
			return err
		}
		return write(out, scores, merchantColumns(loc))
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

// The columns of each query's table and CSV. A table is for people: money
// in yuan, times in the policy's zone to the minute, hashes short. CSV is
// for machines, the same shape as JSON: money in integer fen (with a
// formatted yuan column beside it), times RFC 3339 in UTC, durations in
// seconds, hashes whole.

func ticketColumns(loc *time.Location) []column[projections.TicketSummary] {
	type t = projections.TicketSummary
	return []column[t]{
		same("ticket_id", func(r t) string { return r.TicketID }),
		same("merchant_id", func(r t) string { return r.MerchantID }),
		same("buyer_id", func(r t) string { return r.BuyerID }),
		same("kind", func(r t) string { return r.Kind }),
		same("status", func(r t) string { return r.Status }),
		same("locked", func(r t) string { return strconv.FormatBool(r.Locked) }),
		amount("requested", func(r t) int64 { return r.Requested }),
		amount("refunded", func(r t) int64 { return r.Refunded }),
		amount("compensation", func(r t) int64 { return r.Compensation }),
		same("currency", func(r t) string { return r.Currency }),
		same("next_deadline", func(r t) string { return r.NextDeadline }),
		optionalTime("next_deadline_at", loc, func(r t) *time.Time { return r.NextDeadlineAt }),
		optionalTime("opened_at", loc, func(r t) *time.Time { return &r.OpenedAt }),
		optionalTime("closed_at", loc, func(r t) *time.Time { return r.ClosedAt }),
		same("resolution", func(r t) string { return r.Resolution }),
		same("liability", func(r t) string { return r.Liability }),
	}
}

func auditColumns(loc *time.Location, o *rowWriter) []column[projections.AuditEntry] {
	type a = projections.AuditEntry
	return []column[a]{
		same("position", func(r a) string { return strconv.FormatUint(r.Position, 10) }),
		same("ticket_id", func(r a) string { return r.TicketID }),
		same("revision", func(r a) string { return strconv.FormatUint(r.Revision, 10) }),
		{name: "occurred_at", table: func(r a) string { return r.OccurredAt.In(loc).Format("2006-01-02 15:04:05") },
			csv: func(r a) string { return machineTime(r.OccurredAt) }},
		{name: "actor", table: func(r a) string { return r.ActorRole + ":" + r.ActorID }},
		{name: "actor_role", csv: func(r a) string { return r.ActorRole }},
		{name: "actor_id", csv: func(r a) string { return r.ActorID }},
		same("event_type", func(r a) string { return r.EventType }),
		same("summary", func(r a) string { return r.Summary }),
		same("command_id", func(r a) string { return r.CommandID }),
		{name: "hash", table: func(r a) string { return short(r.Hash) }, csv: func(r a) string { return r.Hash }},
	}
}

func merchantColumns(loc *time.Location) []column[projections.MerchantScore] {
	type m = projections.MerchantScore
	return []column[m]{
		same("merchant_id", func(s m) string { return s.MerchantID }),
		same("score", func(s m) string { return strconv.Itoa(s.Score) }),
		same("flagged", func(s m) string { return strconv.FormatBool(s.Flagged) }),
		{name: "breakdown", table: func(s m) string { return breakdown(s.Breakdown) }, csv: func(s m) string {
			if len(s.Breakdown) == 0 {
				return ""
			}
			return breakdown(s.Breakdown)
		}},
		same("disputes_opened", func(s m) string { return strconv.Itoa(s.DisputesOpened) }),
		same("intervention_rate", func(s m) string { return fmt.Sprintf("%.3f", s.InterventionRate) }),
		same("rulings_won", func(s m) string { return strconv.Itoa(s.RulingsWon) }),
		same("rulings_lost", func(s m) string { return strconv.Itoa(s.RulingsLost) }),
		same("merchant_liable_rate", func(s m) string { return fmt.Sprintf("%.3f", s.MerchantLiableRate) }),
		{name: "median_first_response", table: func(s m) string { return humanDuration(seconds(s.MedianFirstResponseSeconds)) }},
		{name: "median_first_response_seconds", csv: func(s m) string {
			return strconv.FormatFloat(s.MedianFirstResponseSeconds, 'f', -1, 64)
		}},
		same("policy_version", func(s m) string { return s.PolicyVersion }),
		{name: "window_start", table: func(s m) string { return s.WindowStart.In(loc).Format(time.RFC3339) },
			csv: func(s m) string { return machineTime(s.WindowStart) }},
		{name: "window_end", table: func(s m) string { return s.WindowEnd.In(loc).Format(time.RFC3339) },
			csv: func(s m) string { return machineTime(s.WindowEnd) }},
	}
}

// seconds turns the read side's seconds back into a duration for people.
func seconds(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

// column is one column of a query's output: its table cell, its CSV cell;
// a nil func leaves the column out of that format. A money column has fen,
// and CSV gets the amount formatted in yuan beside it.
type column[T any] struct {
	name       string
	table, csv func(T) string
	fen        func(T) int64
}

// same is a column whose cell reads the same in a table and in CSV.
func same[T any](name string, cell func(T) string) column[T] {
	return column[T]{name: name, table: cell, csv: cell}
}

// amount is a money column: yuan in a table; in CSV integer fen under the
// name, and the same amount formatted in yuan beside it (NAME_yuan).
func amount[T any](name string, minor func(T) int64) column[T] {
	return column[T]{name: name, table: func(r T) string { return money(minor(r)) },
		csv: func(r T) string { return strconv.FormatInt(minor(r), 10) }, fen: minor}
}

// optionalTime is a time column: the policy's zone to the minute in a table,
// RFC 3339 UTC in CSV, empty when absent.
func optionalTime[T any](name string, loc *time.Location, at func(T) *time.Time) column[T] {
	return column[T]{name: name,
		table: func(r T) string {
			if t := at(r); t != nil {
				return t.In(loc).Format(timeLayout)
			}
			return ""
		},
		csv: func(r T) string {
			if t := at(r); t != nil {
				return machineTime(*t)
			}
			return ""
		}}
}

// machineTime is how a time leaves the CLI for machines: RFC 3339 in UTC,
// as encoding/json writes the read side's times.
func machineTime(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

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

// write renders rows in the writer's format with the given columns.
func write[T any](o *rowWriter, rows []T, cols []column[T]) error {
	switch o.format {
	case "json":
		if rows == nil {
			rows = []T{}
		}
		enc := json.NewEncoder(o.w)
		enc.SetIndent("", "  ")
		return enc.Encode(rows)
	case "csv":
		var names []string
		var cells []func(T) string
		for _, c := range cols {
			if c.csv == nil {
				continue
			}
			names, cells = append(names, c.name), append(cells, c.csv)
			if fen := c.fen; fen != nil {
				names = append(names, c.name+"_yuan")
				cells = append(cells, func(r T) string { return money(fen(r)) })
			}
		}
		cw := csv.NewWriter(o.w)
		if err := cw.Write(names); err != nil {
			return err
		}
		for _, r := range rows {
			line := make([]string, len(cells))
			for i, cell := range cells {
				line[i] = cell(r)
			}
			if err := cw.Write(line); err != nil {
				return err
			}
		}
		cw.Flush()
		return cw.Error()
	}
	tw := newTable(o.w, false)
	var names []string
	for _, c := range cols {
		if c.table != nil {
			names = append(names, c.name)
		}
	}
	fmt.Fprintln(tw, strings.ToUpper(strings.Join(names, "\t")))
	for _, r := range rows {
		var line []string
		for _, c := range cols {
			if c.table != nil {
				line = append(line, c.table(r))
			}
		}
		fmt.Fprintln(tw, strings.Join(line, "\t"))
	}
	return tw.Flush()
}
