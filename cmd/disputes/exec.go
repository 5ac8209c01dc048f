package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/disputes-ledger/disputes/commands"
	"github.com/disputes-ledger/disputes/events"
)

// execOutcome is one line of `disputes exec` output.
type execOutcome struct {
	Line      int      `json:"line"`
	CommandID string   `json:"command_id,omitempty"`
	TicketID  string   `json:"ticket_id,omitempty"`
	OK        bool     `json:"ok"`
	Duplicate bool     `json:"duplicate,omitempty"`
	Revision  *uint64  `json:"revision,omitempty"`
	Events    []string `json:"events,omitempty"`
	Status    string   `json:"status,omitempty"`
	Error     string   `json:"error,omitempty"`
	Kind      string   `json:"error_kind,omitempty"`
}

// execCmd is `disputes exec`.
type execCmd struct {
	storeFlags
	ClientTime  bool   `name:"client-time" help:"honour each command's \"at\" time (imports and simulations)"`
	StopOnError bool   `name:"stop-on-error" help:"stop at the first command that fails"`
	AllowSystem bool   `name:"allow-system" help:"accept commands acting as the system (an operator's import of recorded expiries)"`
	File        string `arg:"" optional:"" placeholder:"FILE|-" help:"JSON lines of commands, one command a line (default: stdin)"`
}

// Help points to the command catalogue: the commands exec takes and their
// data fields. The catalogue is generated from the code:
//
//go:generate go run ../internal/cmdcatalog -o ../../docs/commands.md -required ../../edge/httpapi/required_gen.go
func (c *execCmd) Help() string {
	return "Each line is one JSON command: {\"command_id\": …, \"ticket_id\": …, \"actor\": {\"role\": …, \"id\": …}, \"command\": …, \"data\": {…}}. " +
		"The commands, their data fields, who may send them and in which states are listed in docs/commands.md."
}

func (c *execCmd) Run(ctx context.Context, e env) error {
	sf := c.storeFlags
	clientTime, stopOnError, allowSystem := &c.ClientTime, &c.StopOnError, &c.AllowSystem
	in := e.stdin
	if name := c.File; name != "" && name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return err
		}
		defer f.Close()
		in = f
	}
	pol, err := sf.loadPolicy()
	if err != nil {
		return err
	}
	store, err := sf.open(ctx)
	if err != nil {
		return err
	}
	defer store.Close()
	opts := []commands.Option{commands.WithPolicy(pol)}
	if *clientTime {
		opts = append(opts, commands.WithClientTime())
	}
	h := commands.NewHandler(store, opts...)
	failed, err := execLines(ctx, h, in, e.stdout, execOptions{stopOnError: *stopOnError, allowSystem: *allowSystem})
	if err != nil {
		return err
	}
	if failed > 0 {
		return fmt.Errorf("%d command(s) failed", failed)
	}
	return nil
}

// execOptions are the switches of `disputes exec`.
type execOptions struct {
	stopOnError bool // stop at the first failed command
	allowSystem bool // let lines act as the system actor
}

func execLines(ctx context.Context, h *commands.Handler, in io.Reader, out io.Writer, opt execOptions) (failed int, err error) {
	limit := h.Limits().MaxRequestBytes
	lines := newLineReader(in, limit)
	enc := json.NewEncoder(out)
	line := 0
	for {
		raw, size, err := lines.next()
		if errors.Is(err, io.EOF) {
			return failed, nil
		}
		if err != nil {
			return failed, fmt.Errorf("line %d: %w", line+1, err)
		}
		line++
		var o execOutcome
		switch {
		case raw == nil && size > limit:
			// Reported like ParseRequest reports an oversized request; the
			// next line runs as usual.
			tooLarge := &commands.ValidationError{Field: "request", Reason: fmt.Sprintf("is %d bytes, limit %d", size, limit)}
			o = execOutcome{Line: line, Error: tooLarge.Error(), Kind: errorKind(tooLarge)}
		case len(trimSpace(raw)) == 0:
			continue
		default:
			o = execOne(ctx, h, line, raw, opt.allowSystem)
		}
		if err := enc.Encode(o); err != nil {
			return failed, err
		}
		if !o.OK {
			failed++
			if opt.stopOnError {
				return failed, nil
			}
		}
	}
}

func execOne(ctx context.Context, h *commands.Handler, line int, raw []byte, allowSystem bool) execOutcome {
	req, cmd, err := commands.ParseRequest(raw, h.Limits())
	o := execOutcome{Line: line, CommandID: req.CommandID, TicketID: req.TicketID}
	if err == nil && req.Actor.Role == events.RoleSystem && !allowSystem {
		// Like any client, an input file does not speak for the scheduler
		// unless the operator says so.
		err = &commands.ValidationError{Field: "actor.role", Reason: "only the scheduler acts as system; pass --allow-system to import its commands"}
	}
	if err == nil {
		var res commands.Result
		res, err = h.Handle(ctx, req, cmd)
		if err == nil {
			rev := res.Revision
			o.OK, o.Duplicate, o.Revision, o.Status = true, res.Duplicate, &rev, string(res.Ticket.Status)
			for _, ev := range res.Events {
				o.Events = append(o.Events, ev.Type)
			}
			return o
		}
	}
	o.Error, o.Kind = err.Error(), errorKind(err)
	return o
}

// errorKind names the class of a failure, as the HTTP API maps it to
// statuses: commands.Classify is the one table of them.
func errorKind(err error) string { return string(commands.Classify(err).Kind) }

func trimSpace(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t' || b[0] == '\r') {
		b = b[1:]
	}
	return b
}
