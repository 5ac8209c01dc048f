package storetest

import (
	"context"
	"errors"
	"math"
	"testing"
	"time"

	"github.com/disputes-ledger/disputes/eventstore"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func testCancelledContext(t *testing.T, s eventstore.Store) {
	seed(t, s, "cancel", 3)
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	expired, cancel2 := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel2()

	for _, c := range []struct {
		name string
		ctx  context.Context
		want error
	}{
		{"cancelled", cancelled, context.Canceled},
		{"deadline exceeded", expired, context.DeadlineExceeded},
	} {
		t.Run(c.name, func(t *testing.T) {
			for _, op := range []struct {
				name string
				run  func(t *testing.T, ctx context.Context) error
			}{
				{"Append", func(t *testing.T, ctx context.Context) error {
					_, err := s.Append(ctx, "cancel-new", eventstore.NoStream(), newEvents("cancel-new", 0, 1))
					return err
				}},
				{"ReadStream", func(t *testing.T, ctx context.Context) error {
					_, err := s.ReadStream(ctx, "cancel", 0, 0)
					return err
				}},
				{"ReadStreamBackward", func(t *testing.T, ctx context.Context) error {
					_, err := s.ReadStreamBackward(ctx, "cancel", math.MaxUint64, 0)
					return err
				}},
				{"ReadAll", func(t *testing.T, ctx context.Context) error {
					_, err := s.ReadAll(ctx, 0, 0)
					return err
				}},
				{"Subscribe", func(t *testing.T, ctx context.Context) error {
					// Refusing at once and closing at once are both fine.
					sub, err := s.Subscribe(ctx, 0)
					if err != nil {
						return err
					}
					return waitClosed(t, sub)
				}},
			} {
				t.Run(op.name, func(t *testing.T) {
					assert.ErrorIs(t, op.run(t, c.ctx), c.want)
				})
			}
		})
	}
	_, err := s.ReadStream(context.Background(), "cancel-new", 0, 0)
	assert.ErrorIs(t, err, eventstore.ErrStreamNotFound, "an append with a dead context must write nothing")
}

func testSubscriptionCancel(t *testing.T, s eventstore.Store) {
	seed(t, s, "sub-cancel", 5)
	for _, tc := range []struct {
		name    string
		consume int // events read before cancelling; the rest stay pending
	}{
		{"while idle", 5},
		{"while blocked on a slow consumer", 1},
		{"before reading anything", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			sub, err := s.Subscribe(ctx, 0)
			require.NoError(t, err)
			receive(t, sub, tc.consume)
			assert.NoError(t, sub.Err(), "Err while open")
			cancel()
			err = waitClosed(t, sub)
			assert.True(t, errors.Is(err, context.Canceled), "Err after cancel = %v", err)
		})
	}
	// The store is still usable after its subscriptions ended.
	_, err := s.Append(context.Background(), "sub-cancel", eventstore.Exact(4), newEvents("sub-cancel", 5, 1))
	require.NoError(t, err)
}
