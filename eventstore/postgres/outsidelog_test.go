package postgres_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/eventstore"
	"github.com/disputes-ledger/disputes/eventstore/internal/backendtest"
	"github.com/disputes-ledger/disputes/eventstore/postgres"
)

// TestStreamReadRefusesARowOutsideTheLog: an operator who drops the table's
// CHECK (position > 0) can park an event at position 0 or below, where no
// log read (and so no seal) reaches it; a stream read must refuse it rather
// than show it as part of the stream (the attack found on SQLite, whose
// table has no such check).
func TestStreamReadRefusesARowOutsideTheLog(t *testing.T) {
	for _, tc := range []struct {
		name     string
		position int64
	}{{"at position 0", 0}, {"below zero", -7}} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			s, connString := openStore(t, postgres.Config{})
			_, err := s.Append(ctx, "outside", eventstore.NoStream(), backendtest.Events(0, 2))
			require.NoError(t, err)
			conn := rawConn(t, connString)
			_, err = conn.Exec(ctx, `DO $$ DECLARE c text; BEGIN
				FOR c IN SELECT conname FROM pg_constraint WHERE conrelid = 'eventstore_events'::regclass AND contype = 'c' LOOP
					EXECUTE format('ALTER TABLE eventstore_events DROP CONSTRAINT %I', c);
				END LOOP; END $$`)
			require.NoError(t, err)
			_, err = conn.Exec(ctx, `UPDATE eventstore_events SET position = $1 WHERE position = 2`, tc.position)
			require.NoError(t, err)

			_, err = s.ReadStream(ctx, "outside", 0, 0)
			assert.ErrorIs(t, err, eventstore.ErrCorrupt)
			_, err = s.ReadStreamBackward(ctx, "outside", 1, 1)
			assert.ErrorIs(t, err, eventstore.ErrCorrupt)
		})
	}
}
