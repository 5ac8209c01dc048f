package events_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/events"
)

// update rewrites the golden files from the fixtures, as in go/doc's tests:
//
//	go test ./events/ -run TestGolden -update
//
// A changed golden file is a changed wire format: stored events are never
// rewritten, so review the diff as a schema change (new schema version and
// an upcaster), not as a test fixture refresh.
var update = flag.Bool("update", false, "rewrite the golden files in testdata/events from the fixtures")

// goldenDir is the repository's top-level testdata/events folder.
const goldenDir = "../testdata/events"

func goldenPath(eventType string) string { return filepath.Join(goldenDir, eventType+".json") }

func readGolden(t testing.TB, eventType string) []byte {
	t.Helper()
	data, err := os.ReadFile(goldenPath(eventType))
	require.NoError(t, err, "golden file of %s (create it with: go test ./events/ -run TestGolden -update)", eventType)
	return data
}

// TestGolden pins the exact wire bytes of every catalogue type. The golden
// files hold the wire bytes verbatim: no indentation, no trailing newline.
func TestGolden(t *testing.T) {
	if *update {
		require.NoError(t, os.MkdirAll(goldenDir, 0o755))
	}
	for _, typ := range sortedTypes() {
		t.Run(typ, func(t *testing.T) {
			_, wire := sampleEnvelope(t, typ)
			if *update {
				require.NoError(t, os.WriteFile(goldenPath(typ), wire, 0o644))
			}
			assert.Equal(t, string(readGolden(t, typ)), string(wire), "wire bytes of %s changed", typ)
		})
	}
}

// TestGoldenFilesMatchCatalogue fails when a type is added to Types() without
// a golden file, or a golden file outlives its type.
func TestGoldenFilesMatchCatalogue(t *testing.T) {
	t.Parallel()
	types := events.Types()
	known := make(map[string]bool, len(types))
	for _, typ := range types {
		assert.False(t, known[typ], "Types() lists %s twice", typ)
		known[typ] = true
		v, ok := events.SchemaVersionOf(typ)
		assert.True(t, ok, "SchemaVersionOf(%s)", typ)
		want := events.CurrentSchemaVersion
		if typ == events.TypeAppealDecided {
			want = 2 // policy_version, policy_sha256
		}
		assert.Equal(t, want, v, "SchemaVersionOf(%s)", typ)
		_, err := os.Stat(goldenPath(typ))
		assert.NoError(t, err, "type %s has no golden file (create it with -update)", typ)
	}
	files, err := filepath.Glob(filepath.Join(goldenDir, "*.json"))
	require.NoError(t, err)
	for _, f := range files {
		typ := strings.TrimSuffix(filepath.Base(f), ".json")
		assert.True(t, known[typ], "golden file %s has no type in Types()", f)
	}
	assert.Len(t, fixtures(), len(types), "one fixture per type")
	_, ok := events.SchemaVersionOf("refund.requested.v2")
	assert.False(t, ok, "SchemaVersionOf of an unknown type")
}

// TestGoldenRoundTrip decodes every golden file back to its fixture and
// re-encodes it byte for byte, at envelope and at payload level.
func TestGoldenRoundTrip(t *testing.T) {
	t.Parallel()
	for _, typ := range sortedTypes() {
		t.Run(typ, func(t *testing.T) {
			t.Parallel()
			golden := readGolden(t, typ)
			want, _ := sampleEnvelope(t, typ)

			env, err := events.Decode(golden)
			require.NoError(t, err)
			assert.Equal(t, want, env)
			assert.IsType(t, want.Payload, env.Payload, "Decode returns payload values, not pointers")
			owned, err := events.DecodeOwned(bytes.Clone(golden))
			require.NoError(t, err)
			assert.Equal(t, want, owned, "DecodeOwned reads what Decode reads")
			again, err := events.Encode(env)
			require.NoError(t, err)
			assert.Equal(t, string(golden), string(again))

			// The payload struct alone, decoded strictly from the golden
			// payload, re-encodes to the same bytes: no field is dropped,
			// renamed or reformatted by the struct's JSON shape.
			var outer struct {
				Payload json.RawMessage `json:"payload"`
			}
			require.NoError(t, json.Unmarshal(golden, &outer))
			p := reflect.New(reflect.TypeOf(want.Payload))
			dec := json.NewDecoder(bytes.NewReader(outer.Payload))
			dec.DisallowUnknownFields()
			require.NoError(t, dec.Decode(p.Interface()))
			out, err := json.Marshal(p.Elem().Interface())
			require.NoError(t, err)
			assert.Equal(t, string(outer.Payload), string(out))
			assert.Equal(t, want.Payload, p.Elem().Interface())
		})
	}
}

// hashSuffixLen is len(`,"hash":"` + 64 hex digits + `"}`).
const hashSuffixLen = 9 + 64 + 2

// TestGoldenHashDefinition pins what the hash covers, independently of the
// codec: the hex SHA-256 of the wire bytes without the hash member, that is
// of everything up to prev_hash followed by the closing brace.
func TestGoldenHashDefinition(t *testing.T) {
	t.Parallel()
	for _, typ := range sortedTypes() {
		golden := readGolden(t, typ)
		require.Greater(t, len(golden), hashSuffixLen, typ)
		cut := len(golden) - hashSuffixLen
		require.Equal(t, `,"hash":"`, string(golden[cut:cut+9]), "%s: hash is the last member", typ)
		body := append(bytes.Clone(golden[:cut]), '}')
		sum := sha256.Sum256(body)
		assert.Equal(t, hex.EncodeToString(sum[:]), string(golden[cut+9:len(golden)-2]), typ)
		assert.True(t, json.Valid(golden), typ)
	}
}

// TestFastPathCoversCatalogue keeps every catalogue type on Decode's fast
// path: a payload field whose type the canonical reader does not model
// would silently send its events to the slow strict path.
func TestFastPathCoversCatalogue(t *testing.T) {
	t.Parallel()
	for _, typ := range sortedTypes() {
		assert.NoError(t, events.PlanError(typ), typ)
		golden := readGolden(t, typ)
		fast, ok := events.DecodeCanonical(golden)
		if assert.True(t, ok, "fast path reads %s", typ) {
			strict, err := events.DecodeStrict(golden)
			require.NoError(t, err)
			assert.Equal(t, strict, fast, typ)
		}
	}
}

// fingerprintGolden pins an envelope that carries a command fingerprint.
const fingerprintGolden = "../testdata/envelopes/command_fingerprint.json"

// sampleFingerprinted is the message.posted fixture with a command
// fingerprint, sealed.
func sampleFingerprinted(t testing.TB) (events.Envelope, []byte) {
	t.Helper()
	env, _ := sampleEnvelope(t, events.TypeMessagePosted)
	env.CommandFingerprint = "post_message:" + strings.Repeat("0f", 32)
	sealed, wire, err := events.Seal(env)
	require.NoError(t, err)
	return sealed, wire
}

// TestGoldenCommandFingerprint pins where command_fingerprint goes (right
// after command_id) and that it is absent when empty, so that events
// recorded before it existed keep their bytes and hashes: the catalogue's
// golden files, written without it, still verify.
func TestGoldenCommandFingerprint(t *testing.T) {
	env, wire := sampleFingerprinted(t)
	if *update {
		require.NoError(t, os.MkdirAll(filepath.Dir(fingerprintGolden), 0o755))
		require.NoError(t, os.WriteFile(fingerprintGolden, wire, 0o644))
	}
	golden, err := os.ReadFile(fingerprintGolden)
	require.NoError(t, err, "create it with: go test ./events/ -run TestGolden -update")
	assert.Equal(t, string(golden), string(wire))
	assert.Contains(t, string(golden), `,"command_id":"`+env.CommandID+`","command_fingerprint":"post_message:0f0f`)
	assert.Equal(t, string(referenceEncode(t, env)), string(wire), "the reference encoding, omitempty included")

	fast, ok := events.DecodeCanonical(golden)
	require.True(t, ok, "the fast path reads a fingerprint")
	strict, err := events.DecodeStrict(golden)
	require.NoError(t, err)
	assert.Equal(t, env, fast)
	assert.Equal(t, env, strict)

	// Without it, the bytes are the catalogue's golden file.
	env.CommandFingerprint = ""
	plain, err := events.Encode(func() events.Envelope { s, _, err := events.Seal(env); require.NoError(t, err); return s }())
	require.NoError(t, err)
	assert.Equal(t, string(readGolden(t, events.TypeMessagePosted)), string(plain))

	// Spelled out empty, it is not canonical: the encoder never writes it.
	empty := bytes.Replace(golden, []byte(`"post_message:`+strings.Repeat("0f", 32)+`"`), []byte(`""`), 1)
	resealed, ok := resealRaw(empty)
	require.True(t, ok)
	_, err = events.Decode(resealed)
	assert.ErrorIs(t, err, events.ErrMalformed)
	_, ok = events.DecodeCanonical(resealed)
	assert.False(t, ok)
}

// beforePolicySHA256Dir holds golden files written before events carried
// the policy's content address (policy_sha256). Stored events are never
// rewritten, so these bytes must decode for ever, on both paths, to
// envelopes without it, and encode back byte for byte.
const beforePolicySHA256Dir = "../testdata/events-before-policy-sha256"

func TestGoldenBeforePolicySHA256(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob(filepath.Join(beforePolicySHA256Dir, "*.json"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			t.Parallel()
			old, err := os.ReadFile(f)
			require.NoError(t, err)
			require.NotContains(t, string(old), "policy_sha256")
			readsForEver(t, old)

			// An empty member is not how the encoder writes an absent one.
			empty := bytes.Replace(old, []byte(`"policy_version":"2026-03-01"`), []byte(`"policy_version":"2026-03-01","policy_sha256":""`), 1)
			require.NotEqual(t, string(old), string(empty))
			resealed, ok := resealRaw(empty)
			require.True(t, ok)
			_, ok = events.DecodeCanonical(resealed)
			assert.False(t, ok)
			_, err = events.DecodeStrict(resealed)
			assert.ErrorIs(t, err, events.ErrMalformed)
		})
	}
}

// readsForEver requires stored bytes of an older shape to decode on both
// paths to one envelope and to encode back to themselves, and returns it.
func readsForEver(t *testing.T, old []byte) events.Envelope {
	t.Helper()
	fast, ok := events.DecodeCanonical(old)
	require.True(t, ok, "the fast path reads the old shape")
	strict, err := events.DecodeStrict(old)
	require.NoError(t, err, "the strict path reads the old shape")
	assert.Equal(t, strict, fast)
	again, err := events.Encode(strict)
	require.NoError(t, err)
	assert.Equal(t, string(old), string(again), "an old event encodes back to its own bytes")
	return strict
}
