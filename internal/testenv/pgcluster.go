package testenv

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// PostgresBinDirEnv names the directory holding initdb and postgres, when
// neither `pg_config --bindir` nor /usr/lib/postgresql/*/bin finds them.
const PostgresBinDirEnv = "DISPUTES_TEST_PG_BINDIR"

// StopMode is how a private cluster is shut down: the postmaster's three
// shutdown signals.
type StopMode int

const (
	// Smart waits for every client to disconnect (SIGTERM).
	Smart StopMode = iota
	// Fast disconnects the clients, rolling back their transactions, and
	// checkpoints (SIGINT).
	Fast
	// Immediate kills every backend without a checkpoint, as a crash would;
	// the next start replays the WAL (SIGQUIT).
	Immediate
)

func (m StopMode) signal() syscall.Signal {
	switch m {
	case Fast:
		return syscall.SIGINT
	case Immediate:
		return syscall.SIGQUIT
	default:
		return syscall.SIGTERM
	}
}

func (m StopMode) String() string {
	switch m {
	case Fast:
		return "fast"
	case Immediate:
		return "immediate"
	default:
		return "smart"
	}
}

// startTimeout bounds one start of a private cluster (crash recovery
// included) on a loaded machine.
const startTimeout = 60 * time.Second

// PostgresCluster is a PostgreSQL server private to one test: its own data
// directory, port and socket directory, trust authentication, fsync off.
// Unlike the shared server, a test may stop, crash and restart it. The
// port stays the same across restarts, so clients' connection strings stay
// valid.
type PostgresCluster struct {
	bin, dir, data string
	port           int
	cred           *syscall.Credential // set when running as root: the server runs as this user

	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan struct{} // closed when cmd has exited
}

// NewPostgresCluster initialises and starts a private cluster for tb and
// stops and deletes it when tb ends. Without the PostgreSQL server binaries
// the test is skipped, or fails when DISPUTES_REQUIRE_SERVICES=1.
func NewPostgresCluster(tb testing.TB) *PostgresCluster {
	tb.Helper()
	bin, err := postgresBinDir()
	if err != nil {
		Unavailable(tb, "PostgreSQL server binaries", err)
		return nil
	}
	cred, err := serverCredential()
	if err != nil {
		Unavailable(tb, "a user to run PostgreSQL as", err)
		return nil
	}
	// Not tb.TempDir: its parents are private to this process' user, and
	// the server may run as another.
	dir, err := os.MkdirTemp("", "disputes-pg-")
	if err != nil {
		tb.Fatalf("private PostgreSQL: %v", err)
	}
	c := &PostgresCluster{bin: bin, dir: dir, data: filepath.Join(dir, "data"), cred: cred}
	tb.Cleanup(func() {
		if err := c.Stop(Immediate); err != nil {
			tb.Errorf("stop private PostgreSQL: %v", err)
		}
		_ = os.RemoveAll(dir)
	})
	if cred != nil {
		if err := os.Chown(dir, int(cred.Uid), int(cred.Gid)); err != nil {
			tb.Fatalf("private PostgreSQL: hand %s to uid %d: %v", dir, cred.Uid, err)
		}
	}
	initdb := c.command("initdb", "-D", c.data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync")
	if out, err := initdb.CombinedOutput(); err != nil {
		tb.Fatalf("private PostgreSQL: initdb: %v\n%s", err, out)
	}
	port, err := freePort()
	if err != nil {
		tb.Fatalf("private PostgreSQL: %v", err)
	}
	c.port = port
	if err := c.Start(); err != nil {
		tb.Fatalf("private PostgreSQL: %v", err)
	}
	return c
}

// URL returns a connection string to the cluster's database "postgres" as
// its superuser "postgres" over TCP.
func (c *PostgresCluster) URL() string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", c.port)
}

// Schema creates a fresh schema in the cluster and returns a connection
// string whose search_path is it, as PostgresSchema does on the shared
// server. The schema goes with the cluster.
func (c *PostgresCluster) Schema(tb testing.TB) (connString, schema string) {
	tb.Helper()
	connString, schema, err := createSchema(c.URL())
	if err != nil {
		tb.Fatalf("private PostgreSQL: %v", err)
	}
	return connString, schema
}

// Start starts the server (after a Stop) and returns once it accepts
// connections; after an immediate stop that includes its crash recovery.
func (c *PostgresCluster) Start() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cmd != nil {
		return errors.New("already running")
	}
	logf, err := os.OpenFile(filepath.Join(c.dir, "server.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o666)
	if err != nil {
		return err
	}
	cmd := c.command("postgres", "-D", c.data, "-p", strconv.Itoa(c.port),
		"-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories="+c.dir,
		"-c", "fsync=off", "-c", "full_page_writes=off", "-c", "shared_buffers=32MB", "-c", "max_connections=200")
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		logf.Close()
		return fmt.Errorf("start postgres: %w", err)
	}
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		logf.Close()
		close(exited)
	}()
	c.cmd, c.exited = cmd, exited
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	for {
		conn, err := pgx.Connect(ctx, c.URL())
		if err == nil {
			_ = conn.Close(ctx)
			return nil
		}
		select {
		case <-exited:
			c.cmd = nil
			return fmt.Errorf("postgres exited while starting: %s", c.logTail())
		case <-ctx.Done():
			return fmt.Errorf("postgres did not accept connections within %s: %v\n%s", startTimeout, err, c.logTail())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// Stop shuts the server down in mode and waits for it to exit. Stopping a
// stopped server does nothing.
func (c *PostgresCluster) Stop(mode StopMode) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cmd == nil {
		return nil
	}
	if err := c.cmd.Process.Signal(mode.signal()); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("signal postgres (%s): %w", mode, err)
	}
	select {
	case <-c.exited:
	case <-time.After(startTimeout):
		_ = c.cmd.Process.Kill()
		<-c.exited
		c.cmd = nil
		return fmt.Errorf("postgres did not stop (%s) within %s: %s", mode, startTimeout, c.logTail())
	}
	c.cmd = nil
	return nil
}

// Restart stops the server in mode and starts it again on the same port.
func (c *PostgresCluster) Restart(mode StopMode) error {
	if err := c.Stop(mode); err != nil {
		return err
	}
	return c.Start()
}

// Log returns the server's log so far.
func (c *PostgresCluster) Log() string {
	b, _ := os.ReadFile(filepath.Join(c.dir, "server.log"))
	return string(b)
}

func (c *PostgresCluster) logTail() string {
	l := c.Log()
	if len(l) > 2000 {
		l = l[len(l)-2000:]
	}
	return l
}

// command runs one of the server binaries, as the server's user when this
// process is root (initdb and postgres refuse to run as root), and dies
// with this process so a killed test leaves no server behind.
func (c *PostgresCluster) command(name string, args ...string) *exec.Cmd {
	cmd := exec.Command(filepath.Join(c.bin, name), args...)
	cmd.Dir = c.dir
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: c.cred, Pdeathsig: syscall.SIGQUIT, Setpgid: true}
	return cmd
}

// postgresBinDir finds the directory holding initdb and postgres:
// $DISPUTES_TEST_PG_BINDIR, `pg_config --bindir`, the newest
// /usr/lib/postgresql/*/bin, or the directory of initdb on PATH.
func postgresBinDir() (string, error) {
	var candidates []string
	if dir := os.Getenv(PostgresBinDirEnv); dir != "" {
		candidates = append(candidates, dir)
	}
	if out, err := exec.Command("pg_config", "--bindir").Output(); err == nil {
		candidates = append(candidates, strings.TrimSpace(string(out)))
	}
	versioned, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(versioned, func(i, j int) bool { return versionOf(versioned[i]) > versionOf(versioned[j]) })
	candidates = append(candidates, versioned...)
	if path, err := exec.LookPath("initdb"); err == nil {
		if real, err := filepath.EvalSymlinks(path); err == nil {
			path = real
		}
		candidates = append(candidates, filepath.Dir(path))
	}
	for _, dir := range candidates {
		if executable(filepath.Join(dir, "initdb")) && executable(filepath.Join(dir, "postgres")) {
			return dir, nil
		}
	}
	return "", fmt.Errorf("no directory with initdb and postgres (looked in %v; set %s)", candidates, PostgresBinDirEnv)
}

// versionOf reads the major version out of /usr/lib/postgresql/N/bin.
func versionOf(binDir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return n
}

func executable(path string) bool {
	info, err := os.Stat(path)
	return err == nil && !info.IsDir() && info.Mode()&0o111 != 0
}

// serverCredential returns nil when this process may run the server
// itself, and as root the user to run it as: postgres, else nobody.
func serverCredential() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	var errs []error
	for _, name := range []string{"postgres", "nobody"} {
		u, err := user.Lookup(name)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
		gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
		if err1 != nil || err2 != nil {
			errs = append(errs, fmt.Errorf("user %s: uid %q gid %q", name, u.Uid, u.Gid))
			continue
		}
		return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
	}
	return nil, fmt.Errorf("running as root, and no user to run the server as: %w", errors.Join(errs...))
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
