package projections_test

import (
	"context"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/eventstore"
	"github.com/disputes-ledger/disputes/projections"
)

// readRecorder is a store that remembers every record its log reads hand
// out, so that a test can tell which memory belongs to them.
type readRecorder struct {
	eventstore.Store
	mu   sync.Mutex
	seen []eventstore.RecordedEvent
}

func (r *readRecorder) ReadAll(ctx context.Context, after uint64, limit int) ([]eventstore.RecordedEvent, error) {
	recs, err := r.Store.ReadAll(ctx, after, limit)
	r.mu.Lock()
	r.seen = append(r.seen, recs...)
	r.mu.Unlock()
	return recs, err
}

// TestCachedTicketsHoldNoEventBytes rebuilds the per-ticket read models
// and then walks every string their ticket caches hold, keys included: none
// may lie inside the bytes of a record the log read handed out. The
// follower decodes a stored page in place (events.DecodeOwned), so a
// decoded string is a window on the store's read buffer, whose chunks hold
// many events; a cached ticket keeping one such string keeps that whole
// chunk alive for as long as it is cached, which would multiply what a
// rebuild holds by the chunk's size.
func TestCachedTicketsHoldNoEventBytes(t *testing.T) {
	t.Parallel()
	l := newLedger(t)
	appendScenarios(t, l.store, l.pol, generate(11, 30, epoch, l.pol))
	appendOpenings(t, l.store, l.pol, generate(12, 10, epoch, l.pol)) // open: kept by the deadlines too
	rec := &readRecorder{Store: l.store}
	projs := projections.Default(l.db, l.pol)
	p := projections.NewProjector(rec, l.db, projs, projections.Options{PageSize: 64})
	_, err := p.Rebuild(context.Background())
	require.NoError(t, err)
	require.NotEmpty(t, rec.seen)

	inRecord := func(s string) (uint64, bool) {
		at := uintptr(unsafe.Pointer(unsafe.StringData(s)))
		for _, r := range rec.seen {
			start := uintptr(unsafe.Pointer(unsafe.SliceData(r.Data)))
			if start <= at && at < start+uintptr(len(r.Data)) {
				return r.Position, true
			}
		}
		return 0, false
	}
	walked, cached := 0, 0
	for _, proj := range projs {
		cache := projections.Cache(proj)
		if cache == nil {
			continue
		}
		require.Positive(t, reflect.ValueOf(cache).Len(), "%s caches tickets", proj.Name())
		cached += reflect.ValueOf(cache).Len()
		eachString(reflect.ValueOf(cache), proj.Name(), func(path, s string) {
			walked++
			if pos, in := inRecord(s); in {
				t.Errorf("%s holds %q (%s), which lies in the record at position %d", proj.Name(), s, path, pos)
			}
		})
	}
	assert.Equal(t, 3*10, cached, "the open tickets cached, in each per-ticket read model")
	assert.Greater(t, walked, 100, "strings walked")
}

// eachString calls f with every non-empty string reachable from v, and the
// path to it.
func eachString(v reflect.Value, path string, f func(path, s string)) {
	switch v.Kind() {
	case reflect.String:
		if v.Len() > 0 {
			f(path, v.String())
		}
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			eachString(v.Elem(), path, f)
		}
	case reflect.Struct:
		for i := range v.NumField() {
			eachString(v.Field(i), path+"."+v.Type().Field(i).Name, f)
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			eachString(v.Index(i), fmt.Sprintf("%s[%d]", path, i), f)
		}
	case reflect.Map:
		it := v.MapRange()
		for it.Next() {
			eachString(it.Key(), path+" key", f)
			eachString(it.Value(), fmt.Sprintf("%s[%v]", path, it.Key()), f)
		}
	}
}
