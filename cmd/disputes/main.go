// Command disputes is the ledger's single binary: a CLI over the embedded
// ledger and, with `serve`, its HTTP API.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"

	"github.com/alecthomas/kong"
	"github.com/nats-io/nats.go"

	"github.com/disputes-ledger/disputes/audit"
	"github.com/disputes-ledger/disputes/audit/checkpointnats"
	"github.com/disputes-ledger/disputes/cmd/internal/bench"
	"github.com/disputes-ledger/disputes/edge/auth"
	"github.com/disputes-ledger/disputes/edge/forward"
	"github.com/disputes-ledger/disputes/projections"
)

// env is what every command gets: the process's streams.
type env struct {
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
}

// cli is the command tree; each command's flags and arguments are its
// struct's fields, and its Run method does the work.
type cli struct {
	Demo    demoCmd    `cmd:"" group:"Ledger" help:"play the seed disputes and generated tickets through a fresh ledger"`
	Exec    execCmd    `cmd:"" group:"Ledger" help:"execute commands given as JSON lines (file or stdin)"`
	Init    initCmd    `cmd:"" group:"Ledger" help:"create an empty ledger (a missing or empty file, or a PostgreSQL schema)"`
	History historyCmd `cmd:"" group:"Ledger" help:"print a ticket's timeline, optionally as of a past moment"`
	Show    showCmd    `cmd:"" group:"Ledger" help:"print a ticket's current state and open deadlines"`
	Forward forwardCmd `cmd:"" group:"Ledger" help:"publish every ledger event to NATS JetStream (checkpointed, deduplicated)"`

	Project projectCmd `cmd:"" group:"Read models" help:"bring the read models up to the head of the log (--follow: keep following)"`
	Rebuild rebuildCmd `cmd:"" group:"Read models" help:"drop read models and rebuild them from position zero"`
	Query   queryCmd   `cmd:"" group:"Read models" help:"query the read models: tickets, merchants (penalty scores) or audit"`

	Keys        keysCmd        `cmd:"" group:"Audit" help:"print the seal public key and fingerprint, or generate a signing key"`
	Seal        sealCmd        `cmd:"" group:"Audit" help:"seal the global log to its head (Merkle root signed with Ed25519)"`
	Export      exportCmd      `cmd:"" group:"Audit" help:"write a self-contained audit bundle (JSON Lines)"`
	Verify      verifyCmd      `cmd:"" group:"Audit" help:"verify a bundle or a live ledger: hashes, chains, seals, rulings"`
	Prove       proveCmd       `cmd:"" group:"Audit" help:"print an inclusion proof of an event, or a seal consistency proof"`
	VerifyProof verifyProofCmd `cmd:"" name:"verify-proof" group:"Audit" help:"check a proof printed by 'disputes prove'"`

	Serve     serveCmd     `cmd:"" group:"Service" help:"serve the HTTP API, keep the read models and fire deadlines"`
	Scheduler schedulerCmd `cmd:"" group:"Service" help:"fire due deadlines as system commands, on its own"`
	Tokens    tokensCmd    `cmd:"" group:"Service" help:"manage the API's bearer tokens (only hashes are stored)"`

	Bench      benchCmd      `cmd:"" group:"Other" help:"measure every performance figure beside its floor, on a generated ledger"`
	Version    versionCmd    `cmd:"" group:"Other" help:"print the module version and VCS revision of this build"`
	Help       helpCmd       `cmd:"" group:"Other" help:"print the commands, or a command's flags ('disputes help CMD' is 'disputes CMD --help')"`
	Completion completionCmd `cmd:"" group:"Other" help:"print a shell completion script: bash, zsh or fish"`
}

// errUsage marks a command-line mistake: exit status 2.
var errUsage = errors.New("usage")

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// exitRequest is how kong's request to exit (after --help) unwinds to run,
// which returns the status instead of ending the process.
type exitRequest int

// newParser builds the command-line parser over a fresh command tree.
func newParser(e env) (*kong.Kong, error) {
	return kong.New(&cli{},
		kong.Name("disputes"),
		kong.Description("disputes — an event-sourced dispute ledger"),
		kong.Writers(e.stdout, e.stderr),
		kong.Exit(func(code int) { panic(exitRequest(code)) }),
		kong.ConfigureHelp(kong.HelpOptions{Compact: true, NoExpandSubcommands: true}),
		kong.ValueFormatter(helpValue),
		kong.Bind(e),
		defaultVars(),
	)
}

// defaultVars are the flag defaults that live in other packages.
func defaultVars() kong.Vars {
	return kong.Vars{
		"jwt_max_lifetime":       auth.DefaultMaxLifetime.String(),
		"jwt_leeway":             auth.DefaultLeeway.String(),
		"reload_every":           auth.DefaultReloadInterval.String(),
		"checkpoint_stream":      checkpointnats.DefaultStream,
		"checkpoint_subject":     checkpointnats.DefaultSubject,
		"nats_url":               nats.DefaultURL,
		"forward_stream":         forward.DefaultStream,
		"forward_subject_prefix": forward.DefaultSubjectPrefix,
		"forward_dedup_window":   forward.DefaultDupWindow.String(),
		"max_findings":           strconv.Itoa(audit.DefaultMaxFindings),
		"bench_figures":          strings.Join(bench.Names(), ", "),
		"read_models":            strings.Join([]string{projections.TicketStatusName, projections.MerchantPenaltiesName, projections.AuditTrailName, projections.DeadlinesName}, ", "),
	}
}

// helpValue is a flag's help with its default and the environment
// variable that sets it.
func helpValue(v *kong.Value) string {
	if v.Default != "" && v.Flag != nil && !v.IsBool() && !kong.HasInterpolatedVar(v.OrigHelp, "default") {
		v = withHelp(v, strings.TrimSuffix(v.Help, ".")+" (default: "+v.Default+")")
	}
	return kong.DefaultHelpValueFormatter(v)
}

func withHelp(v *kong.Value, help string) *kong.Value {
	c := *v
	c.Help = help
	return &c
}

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) (code int) {
	e := env{stdin: stdin, stdout: stdout, stderr: stderr}
	parser, err := newParser(e)
	if err != nil {
		fmt.Fprintf(stderr, "disputes: %v\n", err)
		return 1
	}
	defer func() {
		if r := recover(); r != nil {
			x, ok := r.(exitRequest)
			if !ok {
				panic(r)
			}
			code = int(x)
		}
	}()
	if len(args) == 0 {
		_ = printHelp(parser, nil)
		return 2
	}
	if args[0] == "help" && len(args) > 1 && !strings.HasPrefix(args[1], "-") {
		// "help CMD [SUB]" is "CMD [SUB] --help".
		args = append(append([]string{}, args[1:]...), "--help")
	}
	if !strings.HasPrefix(args[0], "-") && findCommand(parser.Model.Node, args[0]) == nil {
		fmt.Fprintf(stderr, "disputes: unknown command %q\n\n", args[0])
		if p, err := newParser(env{stdin: stdin, stdout: stderr, stderr: stderr}); err == nil {
			_ = printHelp(p, nil)
		}
		return 2
	}
	kctx, err := parser.Parse(args)
	if err != nil {
		name := "disputes"
		var pe *kong.ParseError
		if errors.As(err, &pe) && pe.Context != nil && pe.Context.Selected() != nil {
			name = pe.Context.Selected().FullPath()
		}
		fmt.Fprintf(stderr, "%s: %v\n", name, err)
		fmt.Fprintf(stderr, "Run '%s --help' for usage.\n", name)
		return 2
	}
	kctx.BindTo(ctx, (*context.Context)(nil))
	err = kctx.Run()
	name := kctx.Selected().FullPath()
	switch {
	case err == nil:
		return 0
	case errors.Is(err, errUsage):
		fmt.Fprintf(stderr, "%s: %v\n", name, err)
		return 2
	default:
		fmt.Fprintf(stderr, "%s: %v\n", name, err)
		return 1
	}
}

// findCommand returns the child command of n called name, or nil.
func findCommand(n *kong.Node, name string) *kong.Node {
	for _, c := range n.Children {
		if c.Type == kong.CommandNode && (c.Name == name || contains(c.Aliases, name)) {
			return c
		}
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// printHelp prints the help of the command at path (nil: the
// application's).
func printHelp(k *kong.Kong, path []string) error {
	kctx, err := kong.Trace(k, path)
	if err != nil {
		return err
	}
	return kctx.PrintUsage(false)
}

// helpCmd is `disputes help`: with a command, run turns it into that
// command's --help before parsing, so it runs only without one.
type helpCmd struct {
	Command []string `arg:"" optional:"" help:"the command (and subcommand) to describe"`
}

func (h *helpCmd) Run(k *kong.Kong) error {
	return printHelp(k, h.Command)
}
