package commands_test

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/commands"
	"github.com/disputes-ledger/disputes/eventstore"
)

// failingStore answers every Append or ReadStream with a set error.
type failingStore struct {
	eventstore.Store
	appendErr, readErr error
}

func (f failingStore) Append(ctx context.Context, stream string, expected eventstore.ExpectedRevision, evs []eventstore.EventData) (eventstore.AppendResult, error) {
	if f.appendErr != nil {
		return eventstore.AppendResult{}, f.appendErr
	}
	return f.Store.Append(ctx, stream, expected, evs)
}

func (f failingStore) ReadStream(ctx context.Context, stream string, from uint64, limit int) ([]eventstore.RecordedEvent, error) {
	if f.readErr != nil {
		return nil, f.readErr
	}
	return f.Store.ReadStream(ctx, stream, from, limit)
}

// TestStoreFailuresAreClassified: an append that failed without a definite
// answer (a dropped connection, a deadline during the commit) is an unknown
// outcome; a read that failed is the store being unavailable; a definite
// refusal by the store or a corrupt event stays internal; and the cause is
// kept for the log.
func TestStoreFailuresAreClassified(t *testing.T) {
	t.Parallel()
	dropped := errors.New("connection reset by peer")
	tests := []struct {
		name       string
		appendErr  error
		readErr    error
		want       commands.Classification
		wantCauses error
	}{
		{"append: connection dropped", dropped, nil, commands.Classification{Kind: commands.KindUnavailable, Code: "outcome_unknown"}, dropped},
		{"append: deadline during commit", context.DeadlineExceeded, nil, commands.Classification{Kind: commands.KindUnavailable, Code: "outcome_unknown"}, context.DeadlineExceeded},
		{"append: duplicate id is a definite refusal", eventstore.ErrDuplicateID, nil, commands.Classification{Kind: commands.KindInternal, Code: "internal"}, eventstore.ErrDuplicateID},
		{"append: corrupt is a definite refusal", &eventstore.CorruptError{Column: "id"}, nil, commands.Classification{Kind: commands.KindInternal, Code: "internal"}, eventstore.ErrCorrupt},
		{"read: connection dropped", nil, dropped, commands.Classification{Kind: commands.KindUnavailable, Code: "unavailable"}, dropped},
		{"read: corrupt event", nil, &eventstore.CorruptError{Column: "type"}, commands.Classification{Kind: commands.KindInternal, Code: "internal"}, eventstore.ErrCorrupt},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, store := newHandler(t)
			h := commands.NewHandler(failingStore{Store: store, appendErr: tc.appendErr, readErr: tc.readErr})
			req, cmd := parse(t, openLine)
			_, err := h.Handle(context.Background(), req, cmd)
			require.Error(t, err)
			assert.Equal(t, tc.want, commands.Classify(err), "%v", err)
			assert.ErrorIs(t, err, tc.wantCauses, "the cause is kept")
			_, history, err := commands.LoadTicket(context.Background(), store, "T-1")
			require.NoError(t, err)
			assert.Empty(t, history, "nothing was written")
		})
	}

	// The request's own context ending during a read is not the store's
	// failure: it stays a context error for the caller to map.
	_, store := newHandler(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	h := commands.NewHandler(failingStore{Store: store, readErr: context.Canceled})
	req, cmd := parse(t, openLine)
	_, err := h.Handle(ctx, req, cmd)
	require.ErrorIs(t, err, context.Canceled)
	assert.NotErrorIs(t, err, commands.ErrUnavailable)
}
