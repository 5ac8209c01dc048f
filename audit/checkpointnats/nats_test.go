package checkpointnats_test

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/audit/checkpoint"
	"github.com/disputes-ledger/disputes/audit/checkpointnats"
	"github.com/disputes-ledger/disputes/audit/merkle"
	"github.com/disputes-ledger/disputes/internal/testenv"
)

func TestPublishToJetStream(t *testing.T) {
	t.Parallel()
	nc, err := nats.Connect(testenv.NATSURL(t))
	require.NoError(t, err)
	defer nc.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	stream, subject := testenv.RandomName("CP_"), testenv.RandomName("test.checkpoints.")
	js, err := jetstream.New(nc)
	require.NoError(t, err)
	t.Cleanup(func() { _ = js.DeleteStream(context.Background(), stream) })

	p, err := checkpointnats.New(ctx, nc, stream, subject)
	require.NoError(t, err)
	seed := sha256.Sum256([]byte("checkpointnats test key"))
	priv := ed25519.NewKeyFromSeed(seed[:])
	var texts [][]byte
	for _, size := range []uint64{4, 8} {
		cp := checkpoint.Checkpoint{Origin: "example.com/ledger", Size: size, Root: merkle.LeafHash([]byte{byte(size)})}
		text, err := checkpoint.Sign(priv, cp)
		require.NoError(t, err)
		require.NoError(t, p.PublishCheckpoint(ctx, cp, text))
		require.NoError(t, p.PublishCheckpoint(ctx, cp, text), "republishing is acknowledged")
		texts = append(texts, text)
	}

	s, err := js.Stream(ctx, stream)
	require.NoError(t, err)
	info, err := s.Info(ctx)
	require.NoError(t, err)
	assert.Equal(t, uint64(2), info.State.Msgs, "the duplicate window dropped the republications")
	assert.True(t, info.Config.DenyDelete)
	assert.True(t, info.Config.DenyPurge)
	assert.Error(t, s.DeleteMsg(ctx, 1), "the operator cannot delete a checkpoint")
	assert.Error(t, s.Purge(ctx), "nor purge them")

	for i, text := range texts {
		msg, err := s.GetMsg(ctx, uint64(i+1))
		require.NoError(t, err)
		assert.Equal(t, text, msg.Data)
		cp, err := checkpoint.Open(msg.Data, priv.Public().(ed25519.PublicKey))
		require.NoError(t, err)
		assert.Equal(t, msg.Header.Get(checkpointnats.HeaderSize), map[int]string{0: "4", 1: "8"}[i])
		assert.Equal(t, "example.com/ledger", cp.Origin)
	}

	_, err = checkpointnats.New(ctx, nc, stream, "bad.>")
	assert.Error(t, err)
}
