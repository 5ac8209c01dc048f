// Command disputes is the ledger's single binary: a CLI over the embedded
// ledger and, with `serve`, its HTTP API.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"syscall"
)

// env is what every subcommand gets: its arguments and the process's streams.
type env struct {
	args   []string
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
}

type subcommand struct {
	summary string
	run     func(ctx context.Context, e env) error
}

func subcommands() map[string]subcommand {
	return map[string]subcommand{
		"demo":    {"play the seed disputes and generated tickets through a fresh ledger", runDemo},
		"exec":    {"execute commands given as JSON lines (file or stdin)", runExec},
		"init":    {"create an empty ledger (a missing or empty file, or a PostgreSQL schema)", runInit},
		"history": {"print a ticket's timeline, optionally as of a past moment", runHistory},
		"show":    {"print a ticket's current state and open deadlines", runShow},
		"forward": {"publish every ledger event to NATS JetStream (checkpointed, deduplicated)", runForward},

		// Read models (package projections).
		"project": {"bring the read models up to the head of the log (--follow: keep following)", runProject},
		"rebuild": {"drop read models and rebuild them from position zero", runRebuild},
		"query":   {"query the read models: tickets, merchants (penalty scores) or audit", runQuery},

		// Audit: seals, exports and offline verification (package audit).
		"keys":         {"print the seal public key and fingerprint, or generate a signing key", runKeys},
		"seal":         {"seal the global log to its head (Merkle root signed with Ed25519)", runSeal},
		"export":       {"write a self-contained audit bundle (JSON Lines)", runExport},
		"verify":       {"verify a bundle or a live ledger: hashes, chains, seals, rulings", runVerify},
		"prove":        {"print an inclusion proof of an event, or a seal consistency proof", runProve},
		"verify-proof": {"check a proof printed by 'disputes prove'", runVerifyProof},

		// The ledger as a service (packages httpapi, auth, scheduler).
		"serve":     {"serve the HTTP API, keep the read models and fire deadlines", runServe},
		"scheduler": {"fire due deadlines as system commands, on its own", runScheduler},
		"tokens":    {"'tokens add|list|revoke': manage the API's bearer tokens (only hashes are stored)", runTokens},

		"version": {"print the module version and VCS revision of this build", runVersion},
	}
}

// errUsage marks a command-line mistake: exit status 2.
var errUsage = errors.New("usage")

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	cmds := subcommands()
	if len(args) >= 2 && args[0] == "help" {
		// "help CMD [SUB]" is "CMD [SUB] --help", printed to stdout as
		// asked for.
		sc, ok := cmds[args[1]]
		if !ok {
			fmt.Fprintf(stderr, "disputes help: unknown command %q\n\n", args[1])
			usage(stderr, cmds)
			return 2
		}
		helpArgs := append(append([]string{}, args[2:]...), "--help")
		if err := sc.run(ctx, env{args: helpArgs, stdin: stdin, stdout: stdout, stderr: stdout}); err != nil && !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintf(stderr, "disputes help %s: %v\n", args[1], err)
			return 1
		}
		return 0
	}
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stdout, cmds)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	sc, ok := cmds[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "disputes: unknown command %q\n\n", args[0])
		usage(stderr, cmds)
		return 2
	}
	err := sc.run(ctx, env{args: args[1:], stdin: stdin, stdout: stdout, stderr: stderr})
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errUsage):
		fmt.Fprintf(stderr, "disputes %s: %v\n", args[0], err)
		return 2
	default:
		fmt.Fprintf(stderr, "disputes %s: %v\n", args[0], err)
		return 1
	}
}

func usage(w io.Writer, cmds map[string]subcommand) {
	fmt.Fprintln(w, "disputes — an event-sourced dispute ledger")
	fmt.Fprintln(w, "\nUsage: disputes <command> [flags]\n\nCommands:")
	names := make([]string, 0, len(cmds))
	for n := range cmds {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-13s %s\n", n, cmds[n].summary)
	}
	fmt.Fprintln(w, "\nRun 'disputes help <command>' (or 'disputes <command> --help') for a command's flags.")
}

// newFlags returns a flag set that prints its usage to e.stderr and reports
// errors as usage errors rather than exiting.
func newFlags(e env, name, synopsis string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.Usage = func() {
		fmt.Fprintf(e.stderr, "Usage: disputes %s\n\nFlags:\n", synopsis)
		fs.PrintDefaults()
	}
	return fs
}

func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	return nil
}
