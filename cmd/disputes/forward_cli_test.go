package main

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/cmd/internal/storeurl"
	"github.com/disputes-ledger/disputes/internal/testenv"
)

// TestForwardCommand records a few commands in a ledger — a SQLite file via
// --db, and PostgreSQL via --store — forwards it to a private JetStream
// stream, and reads the stream back: every event once, in log order. A
// second run finds nothing new.
func TestForwardCommand(t *testing.T) {
	natsURL := testenv.NATSURL(t)
	ledgers := map[string]func(t *testing.T) (args []string, url string){
		"sqlite --db": func(t *testing.T) ([]string, string) {
			db := filepath.Join(t.TempDir(), "ledger.db")
			return []string{"--db", db}, db
		},
		"postgres --store": func(t *testing.T) ([]string, string) {
			connString, _ := testenv.PostgresSchema(t)
			return []string{"--store", connString}, connString
		},
	}
	for name, ledger := range ledgers {
		t.Run(name, func(t *testing.T) {
			args, url := ledger(t)
			code, _, stderr := runCLI(t, execInput, append([]string{"exec", "--client-time"}, args...)...)
			require.Equal(t, 1, code, "execInput holds failing commands: %s", stderr)
			store, err := storeurl.Open(context.Background(), url)
			require.NoError(t, err)
			logged, err := store.ReadAll(context.Background(), 0, 0)
			require.NoError(t, err)
			require.NoError(t, store.Close())
			require.NotEmpty(t, logged)

			stream, prefix := testenv.RandomName("CLI_"), testenv.RandomName("cli_")+".events"
			nc, err := nats.Connect(natsURL)
			require.NoError(t, err)
			defer nc.Close()
			js, err := jetstream.New(nc)
			require.NoError(t, err)
			t.Cleanup(func() { _ = js.DeleteStream(context.Background(), stream) })

			fwd := append([]string{"forward", "--nats", natsURL, "--stream", stream, "--subject-prefix", prefix,
				"--checkpoint", filepath.Join(t.TempDir(), "cp"), "--follow=false"}, args...)
			code, stdout, stderr := runCLI(t, "", fwd...)
			require.Equal(t, 0, code, stderr)
			assert.Contains(t, stdout, fmt.Sprintf("forwarded %d events", len(logged)))
			code, stdout, stderr = runCLI(t, "", fwd...)
			require.Equal(t, 0, code, stderr)
			assert.Contains(t, stdout, fmt.Sprintf("forwarded 0 events from %s", storeurl.Redacted(url)), "the checkpoint remembers")

			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			cons, err := js.OrderedConsumer(ctx, stream, jetstream.OrderedConsumerConfig{})
			require.NoError(t, err)
			for i, e := range logged {
				msg, err := cons.Next(jetstream.FetchMaxWait(10 * time.Second))
				require.NoError(t, err, "message %d", i)
				assert.Equal(t, e.ID.String(), msg.Headers().Get(nats.MsgIdHdr))
				assert.Equal(t, prefix+"."+e.Type, msg.Subject())
				assert.Equal(t, e.Data, msg.Data())
			}
			_, err = cons.Next(jetstream.FetchMaxWait(300 * time.Millisecond))
			assert.ErrorIs(t, err, nats.ErrTimeout, "nothing more")
		})
	}
}

func TestForwardUsage(t *testing.T) {
	code, _, _ := runCLI(t, "", "forward", "--db", filepath.Join(t.TempDir(), "none.db"), "extra")
	assert.Equal(t, 2, code)
	code, _, stderr := runCLI(t, "", "forward", "--db", filepath.Join(t.TempDir(), "none.db"), "--follow=false")
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, "create one with")
	code, _, stderr = runCLI(t, "", "forward", "--store", "redis://localhost", "--follow=false")
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, "unknown event-store URL scheme")
}
