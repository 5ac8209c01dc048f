package sqlite_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/disputes-ledger/disputes/eventstore"
	"github.com/disputes-ledger/disputes/eventstore/sqlite"
	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The crash test: a child process (this test binary, re-executed into
// TestHelperAppender) appends to a few streams as fast as it can and prints
// every acknowledged event; the parent SIGKILLs it at a random moment,
// reopens the file and checks that nothing acknowledged was lost or changed
// and nothing half-written is visible. SIGKILL ends the process, not the
// machine: this proves SQLite's transaction and WAL recovery under the
// store's write path, not the fsync (synchronous=FULL) that power loss needs.
const (
	helperEnv     = "DISPUTES_CRASH_HELPER"
	helperDBEnv   = "DISPUTES_CRASH_DB"
	crashRoundEnv = "DISPUTES_CRASH_ROUNDS"
	crashRounds   = 12 // default, kept short for CI
)

var crashStreams = []string{"crash-a", "crash-b", "crash-c", "crash-d"}

// ack is one acknowledged event as the child reported it.
type ack struct {
	stream string
	rev    uint64
	id     uuid.UUID
	sum    string // hex SHA-256 of the event's Data
}

func TestCrashRecovery(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test skipped in -short mode")
	}
	rounds := crashRounds
	if v := os.Getenv(crashRoundEnv); v != "" {
		n, err := strconv.Atoi(v)
		require.NoError(t, err, "%s=%q", crashRoundEnv, v)
		rounds = n
	}
	path := filepath.Join(t.TempDir(), "crash.db")
	var acked []ack
	for round := range rounds {
		// Every fourth round kills the child early, often while it opens
		// the file or migrates; the others once it is appending.
		early := round%4 == 3
		got, stderr := runAppender(t, path, early)
		acked = append(acked, got...)
		t.Logf("round %d: %d acks (%d in total)%s", round, len(got), len(acked), map[bool]string{true: ", killed early"}[early])
		if !verifyCrashFile(t, path, acked) {
			t.Fatalf("round %d: store damaged; child stderr:\n%s", round, stderr)
		}
	}
	require.NotEmpty(t, acked, "the child never acknowledged an append")
}

// runAppender runs one child until it is killed and returns its acks.
func runAppender(t *testing.T, path string, early bool) ([]ack, string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperAppender$", "-test.count=1")
	cmd.Env = append(os.Environ(), helperEnv+"=1", helperDBEnv+"="+path)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())

	var (
		acks     []ack
		parseErr error
		firstAck = make(chan struct{})
		readDone = make(chan struct{})
	)
	go func() {
		defer close(readDone)
		r := bufio.NewReader(stdout)
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return // EOF after the kill; a line cut short is no ack
			}
			if !strings.HasPrefix(line, "ack ") {
				continue
			}
			a, err := parseAck(line)
			if err != nil {
				parseErr = err
				continue
			}
			acks = append(acks, a)
			if len(acks) == 1 {
				close(firstAck)
			}
		}
	}()

	if early {
		time.Sleep(time.Duration(rand.IntN(40)) * time.Millisecond)
	} else {
		select {
		case <-firstAck:
		case <-readDone:
		case <-time.After(30 * time.Second):
		}
		time.Sleep(time.Duration(20+rand.IntN(200)) * time.Millisecond)
	}
	require.NoError(t, cmd.Process.Kill()) // SIGKILL
	<-readDone
	err = cmd.Wait()
	var exit *exec.ExitError
	require.ErrorAs(t, err, &exit, "child ended without being killed; stderr:\n%s", stderr.String())
	ws, ok := exit.Sys().(syscall.WaitStatus)
	require.True(t, ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL,
		"child ended on its own (%v) before the kill; stderr:\n%s", err, stderr.String())
	require.NoError(t, parseErr)
	return acks, stderr.String()
}

func parseAck(line string) (ack, error) {
	f := strings.Fields(line)
	if len(f) != 5 {
		return ack{}, fmt.Errorf("malformed ack %q", line)
	}
	rev, err := strconv.ParseUint(f[2], 10, 64)
	if err != nil {
		return ack{}, fmt.Errorf("ack %q: %w", line, err)
	}
	id, err := uuid.Parse(f[3])
	if err != nil {
		return ack{}, fmt.Errorf("ack %q: %w", line, err)
	}
	return ack{stream: f[1], rev: rev, id: id, sum: f[4]}, nil
}

// verifyCrashFile reopens the store and checks every stream's hash chain and
// batch integrity, the global log's positions and every ack.
func verifyCrashFile(t *testing.T, path string, acked []ack) bool {
	t.Helper()
	ctx := context.Background()
	s, err := sqlite.Open(ctx, path, sqlite.Config{})
	require.NoError(t, err, "reopen after crash")
	defer func() { require.NoError(t, s.Close()) }()

	ok := true
	type stored struct {
		id  uuid.UUID
		sum string
	}
	events := make(map[string][]stored)
	total := 0
	for _, stream := range crashStreams {
		evs, err := s.ReadStream(ctx, stream, 0, 0)
		if errors.Is(err, eventstore.ErrStreamNotFound) {
			continue
		}
		require.NoError(t, err)
		ok = assert.NoError(t, verifyChain(stream, evs)) && ok
		for _, e := range evs {
			sum := sha256.Sum256(e.Data)
			events[stream] = append(events[stream], stored{e.ID, hex.EncodeToString(sum[:])})
		}
		total += len(evs)
	}

	var log []eventstore.RecordedEvent
	for after := uint64(0); ; {
		batch, err := s.ReadAll(ctx, after, 500)
		require.NoError(t, err)
		if len(batch) == 0 {
			break
		}
		log = append(log, batch...)
		after = batch[len(batch)-1].Position
	}
	ok = assert.Len(t, log, total, "global log length vs streams") && ok
	for i, e := range log {
		if !assert.Equal(t, uint64(i+1), e.Position, "global position") {
			ok = false
			break
		}
	}

	for _, a := range acked {
		evs := events[a.stream]
		if !assert.Less(t, a.rev, uint64(len(evs)), "acked %s@%d lost", a.stream, a.rev) {
			ok = false
			continue
		}
		got := evs[a.rev]
		ok = assert.Equal(t, a.id, got.id, "acked %s@%d: id", a.stream, a.rev) && ok
		ok = assert.Equal(t, a.sum, got.sum, "acked %s@%d: bytes", a.stream, a.rev) && ok
	}

	db := openRaw(t, path)
	var integrity string
	require.NoError(t, db.QueryRow(`PRAGMA integrity_check`).Scan(&integrity))
	ok = assert.Equal(t, "ok", integrity) && ok
	require.NoError(t, db.Close())
	return ok
}

// The chained event: Data = prev hash (32) | hash (32) | payload, where
// hash = SHA-256(prev | payload) and the payload names the event's stream,
// revision and place in its append ("part 2/3"), followed by filler.
const chainHeader = 2 * sha256.Size

func chainEvent(prev [sha256.Size]byte, stream string, rev uint64, part, parts int, filler []byte) (eventstore.EventData, [sha256.Size]byte) {
	payload := fmt.Appendf(nil, "%s %d %d/%d ", stream, rev, part, parts)
	payload = append(payload, filler...)
	h := sha256.New()
	h.Write(prev[:])
	h.Write(payload)
	var sum [sha256.Size]byte
	h.Sum(sum[:0])
	data := make([]byte, 0, chainHeader+len(payload))
	data = append(append(append(data, prev[:]...), sum[:]...), payload...)
	return eventstore.EventData{ID: uuid.New(), Type: "crash.appended", Revision: rev, Data: data}, sum
}

// verifyChain checks a whole stream: revisions from 0, each event chained to
// the one before, and every append complete (its parts 1..n all present).
func verifyChain(stream string, evs []eventstore.RecordedEvent) error {
	var prev [sha256.Size]byte
	wantPart, parts := 1, 0
	for i, e := range evs {
		if e.Revision != uint64(i) {
			return fmt.Errorf("%s: revision %d at index %d", stream, e.Revision, i)
		}
		if len(e.Data) < chainHeader {
			return fmt.Errorf("%s@%d: %d bytes of data", stream, i, len(e.Data))
		}
		if !bytes.Equal(e.Data[:sha256.Size], prev[:]) {
			return fmt.Errorf("%s@%d: chain broken: prev hash differs", stream, i)
		}
		h := sha256.New()
		h.Write(prev[:])
		h.Write(e.Data[chainHeader:])
		if sum := h.Sum(nil); !bytes.Equal(sum, e.Data[sha256.Size:chainHeader]) {
			return fmt.Errorf("%s@%d: hash does not match data", stream, i)
		}
		copy(prev[:], e.Data[sha256.Size:chainHeader])

		var (
			gotStream     string
			rev           uint64
			part, ofParts int
		)
		if _, err := fmt.Sscanf(string(e.Data[chainHeader:]), "%s %d %d/%d ", &gotStream, &rev, &part, &ofParts); err != nil {
			return fmt.Errorf("%s@%d: payload: %w", stream, i, err)
		}
		if gotStream != stream || rev != uint64(i) {
			return fmt.Errorf("%s@%d: payload names %s@%d", stream, i, gotStream, rev)
		}
		if part == 1 {
			if wantPart != 1 {
				return fmt.Errorf("%s@%d: append of %d cut after part %d", stream, i, parts, wantPart-1)
			}
			parts = ofParts
		}
		if part != wantPart || ofParts != parts {
			return fmt.Errorf("%s@%d: part %d/%d, want %d/%d", stream, i, part, ofParts, wantPart, parts)
		}
		if wantPart++; wantPart > parts {
			wantPart = 1
		}
	}
	if wantPart != 1 {
		return fmt.Errorf("%s: last append of %d cut after part %d", stream, parts, wantPart-1)
	}
	return nil
}

// TestHelperAppender is the child of TestCrashRecovery, not a test of its
// own: it appends until killed.
func TestHelperAppender(t *testing.T) {
	path := os.Getenv(helperDBEnv)
	if os.Getenv(helperEnv) != "1" || path == "" {
		t.Skip("helper process for TestCrashRecovery; runs only when it sets " + helperEnv)
	}
	// If the parent dies before killing us, do not run forever.
	time.AfterFunc(2*time.Minute, func() { os.Exit(3) })
	fail := func(err error) {
		fmt.Fprintln(os.Stderr, "helper:", err)
		os.Exit(2)
	}
	ctx := context.Background()
	s, err := sqlite.Open(ctx, path, sqlite.Config{})
	if err != nil {
		fail(err)
	}
	var (
		out sync.Mutex // one ack line at a time on stdout
		wg  sync.WaitGroup
	)
	for _, stream := range crashStreams {
		wg.Go(func() {
			if err := appendChain(ctx, s, stream, &out, os.Stdout); err != nil {
				fail(err)
			}
		})
	}
	wg.Wait()
}

// appendChain continues stream's hash chain from what is stored, forever.
func appendChain(ctx context.Context, s eventstore.Store, stream string, mu *sync.Mutex, w io.Writer) error {
	var (
		prev [sha256.Size]byte
		next uint64
	)
	switch last, err := s.ReadStreamBackward(ctx, stream, math.MaxUint64, 1); {
	case errors.Is(err, eventstore.ErrStreamNotFound):
	case err != nil:
		return err
	default:
		copy(prev[:], last[0].Data[sha256.Size:chainHeader])
		next = last[0].Revision + 1
	}
	filler := make([]byte, 8192)
	for {
		parts := 1 + rand.IntN(3)
		evs := make([]eventstore.EventData, parts)
		for i := range evs {
			// Sizes up to two pages spread events over page boundaries.
			f := filler[:rand.IntN(len(filler))]
			for j := range f {
				f[j] = byte(rand.Uint32())
			}
			evs[i], prev = chainEvent(prev, stream, next+uint64(i), i+1, parts, f)
		}
		expected := eventstore.NoStream()
		if next > 0 {
			expected = eventstore.Exact(next - 1)
		}
		if _, err := s.Append(ctx, stream, expected, evs); err != nil {
			return err
		}
		var lines bytes.Buffer
		for _, e := range evs {
			sum := sha256.Sum256(e.Data)
			fmt.Fprintf(&lines, "ack %s %d %s %s\n", stream, e.Revision, e.ID, hex.EncodeToString(sum[:]))
		}
		mu.Lock()
		_, err := w.Write(lines.Bytes())
		mu.Unlock()
		if err != nil {
			return err
		}
		next += uint64(parts)
	}
}

// TestVerifyChainDetectsDamage makes sure the crash test's checker can fail:
// each kind of damage it exists to find must be reported.
func TestVerifyChainDetectsDamage(t *testing.T) {
	build := func(parts ...int) []eventstore.RecordedEvent {
		var (
			prev [sha256.Size]byte
			evs  []eventstore.RecordedEvent
		)
		for _, n := range parts {
			for p := 1; p <= n; p++ {
				rev := uint64(len(evs))
				var e eventstore.EventData
				e, prev = chainEvent(prev, "s", rev, p, n, []byte("filler"))
				evs = append(evs, eventstore.RecordedEvent{ID: e.ID, Stream: "s", Revision: rev, Data: e.Data, Position: rev + 1})
			}
		}
		return evs
	}
	require.NoError(t, verifyChain("s", build(1, 3, 2)), "an intact stream")
	require.NoError(t, verifyChain("s", nil), "an empty stream")

	for _, tc := range []struct {
		name   string
		damage func([]eventstore.RecordedEvent) []eventstore.RecordedEvent
	}{
		{"flipped payload byte", func(evs []eventstore.RecordedEvent) []eventstore.RecordedEvent {
			evs[2].Data[len(evs[2].Data)-1] ^= 1
			return evs
		}},
		{"flipped hash byte", func(evs []eventstore.RecordedEvent) []eventstore.RecordedEvent {
			evs[1].Data[sha256.Size] ^= 1
			return evs
		}},
		{"truncated data", func(evs []eventstore.RecordedEvent) []eventstore.RecordedEvent {
			evs[3].Data = evs[3].Data[:40]
			return evs
		}},
		{"last append cut short", func(evs []eventstore.RecordedEvent) []eventstore.RecordedEvent {
			return evs[:len(evs)-1]
		}},
		{"append cut in the middle", func(evs []eventstore.RecordedEvent) []eventstore.RecordedEvent {
			return append(evs[:2], evs[4:]...) // drops parts 2 and 3 of the 3-event append
		}},
		{"revision gap", func(evs []eventstore.RecordedEvent) []eventstore.RecordedEvent {
			evs[4].Revision++
			return evs
		}},
		{"events swapped", func(evs []eventstore.RecordedEvent) []eventstore.RecordedEvent {
			evs[1], evs[2] = evs[2], evs[1]
			evs[1].Revision, evs[2].Revision = 1, 2
			return evs
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Error(t, verifyChain("s", tc.damage(build(1, 3, 2))))
		})
	}
}
