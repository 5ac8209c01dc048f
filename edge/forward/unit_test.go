package forward

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/disputes-ledger/disputes/eventstore"
	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSubject(t *testing.T) {
	for _, tc := range []struct {
		prefix, typ, want string
		ok                bool
	}{
		{"disputes.events", "refund.requested", "disputes.events.refund.requested", true},
		{"disputes.events", "ticket_opened", "disputes.events.ticket_opened", true},
		{"disputes.events", "", "", false},
		{"disputes.events", "refund..requested", "", false},
		{"disputes.events", "refund.*", "", false},
		{"disputes.events", "refund.>", "", false},
		{"disputes.events", "refund requested", "", false},
		{"", "refund.requested", "", false},
		{"disputes.", "refund.requested", "", false},
	} {
		t.Run(tc.prefix+"|"+tc.typ, func(t *testing.T) {
			got, err := Subject(tc.prefix, tc.typ)
			if !tc.ok {
				assert.ErrorIs(t, err, ErrInvalidSubject)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestNewMessage(t *testing.T) {
	e := eventstore.RecordedEvent{ID: uuid.New(), Stream: "ticket-T9", Revision: 4, Type: "refund.requested", Data: []byte(`{"x":1}`), Position: 77}
	msg := newMessage(e)
	assert.Equal(t, e.ID.String(), msg.UUID, "the UUID becomes the Nats-Msg-Id")
	assert.Equal(t, e.Data, []byte(msg.Payload))
	assert.Equal(t, map[string]string{
		HeaderEventID: e.ID.String(), HeaderEventType: "refund.requested", HeaderStream: "ticket-T9",
		HeaderTicket: "T9", HeaderRevision: "4", HeaderPosition: "77",
	}, map[string]string(msg.Metadata))
	e.Stream = "system"
	assert.NotContains(t, newMessage(e).Metadata, HeaderTicket)
}

func TestFileCheckpoint(t *testing.T) {
	ctx := context.Background()
	cp := FileCheckpoint{Path: filepath.Join(t.TempDir(), "cp")}
	pos, err := cp.Load(ctx)
	require.NoError(t, err)
	assert.Zero(t, pos, "no file yet")
	for _, p := range []uint64{1, 12345, 1<<64 - 1} {
		require.NoError(t, cp.Save(ctx, p))
		got, err := cp.Load(ctx)
		require.NoError(t, err)
		assert.Equal(t, p, got)
	}
	entries, err := os.ReadDir(filepath.Dir(cp.Path))
	require.NoError(t, err)
	assert.Len(t, entries, 1, "no temporary files left behind")

	require.NoError(t, os.WriteFile(cp.Path, []byte("garbage"), 0o600))
	_, err = cp.Load(ctx)
	assert.Error(t, err)
	_, err = FileCheckpoint{Path: filepath.Join(t.TempDir(), "no", "dir", "cp")}.Load(ctx)
	assert.NoError(t, err, "a missing file in a missing directory is still 'never saved'")
	assert.Error(t, FileCheckpoint{Path: filepath.Join(t.TempDir(), "no", "dir", "cp")}.Save(ctx, 1))
}

func TestConfigValidate(t *testing.T) {
	assert.NoError(t, Config{}.Validate())
	assert.Error(t, Config{CheckpointEvery: -1}.Validate())
	assert.Error(t, Config{CheckpointInterval: -time.Second}.Validate())
	assert.ErrorIs(t, Config{SubjectPrefix: "a..b"}.Validate(), ErrInvalidSubject)
}
