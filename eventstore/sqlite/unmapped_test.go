package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/eventstore"
)

// An Unmapped store's connections map none of the file (a rebuild's
// mapped pages stayed resident, up to 256 MiB a connection) and read the
// log all the same; a store without it maps the file, read-only or not.
func TestUnmappedStoreMapsNothing(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "ledger.db")
	s, err := Open(ctx, path, Config{})
	require.NoError(t, err)
	for i := range 3 {
		_, err := s.Append(ctx, "s", eventstore.Any(), []eventstore.EventData{{ID: uuid.New(), Type: "t", Revision: uint64(i), Data: fmt.Appendf(nil, `{"i":%d}`, i)}})
		require.NoError(t, err)
	}
	require.NoError(t, s.Close())

	for _, c := range []struct {
		name     string
		open     func(context.Context, string, Config) (*Store, error)
		unmapped bool
		want     int64
	}{
		{"Open", Open, false, mmapSize},
		{"Open unmapped", Open, true, 0},
		{"OpenReadOnly", OpenReadOnly, false, mmapSize},
		{"OpenReadOnly unmapped", OpenReadOnly, true, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			s, err := c.open(ctx, path, Config{Unmapped: c.unmapped})
			require.NoError(t, err)
			defer s.Close()
			conns := map[string]interface {
				QueryRowContext(context.Context, string, ...any) *sql.Row
			}{"read": s.rdb}
			if s.wconn != nil {
				conns["write"] = s.wconn // the writer pool's one connection
			}
			for name, db := range conns {
				var mmap int64
				require.NoError(t, db.QueryRowContext(ctx, "PRAGMA mmap_size").Scan(&mmap))
				assert.Equal(t, c.want, mmap, "%s connection", name)
			}
			all, err := s.ReadAll(ctx, 0, 0)
			require.NoError(t, err)
			assert.Len(t, all, 3)
		})
	}
}
