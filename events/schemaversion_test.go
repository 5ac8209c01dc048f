package events_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/events"
)

// olderSchemaDir holds golden files of payload types at a schema version
// older than their current one, named TYPE.vN.json. Stored events are never
// rewritten, so these bytes must decode for ever, on both paths, at their
// own version, and encode back byte for byte.
const olderSchemaDir = "../testdata/events-older-schema"

// TestGoldenOlderSchemaVersions: an appeal decision recorded at version 1
// (no policy) decodes as version 1 with no stamp and encodes back to its
// bytes; the same body claiming a policy at version 1, or written at a
// version the codec does not know, is refused on both paths.
func TestGoldenOlderSchemaVersions(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob(filepath.Join(olderSchemaDir, "*.json"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			t.Parallel()
			name := strings.TrimSuffix(filepath.Base(f), ".json")
			dot := strings.LastIndex(name, ".v")
			require.Positive(t, dot, "name the file TYPE.vN.json")
			typ := name[:dot]
			version, err := strconv.Atoi(name[dot+2:])
			require.NoError(t, err)
			current, ok := events.SchemaVersionOf(typ)
			require.True(t, ok)
			require.Less(t, version, current, "an older version than the current one")

			old, err := os.ReadFile(f)
			require.NoError(t, err)
			strict := readsForEver(t, old)
			assert.Equal(t, version, strict.SchemaVersion, "the envelope keeps the version it was recorded at")
			_, stamped := events.PolicyStampOf(strict.Payload)
			assert.False(t, stamped, "a version 1 appeal decision records no policy")
			assert.Equal(t, strict.Payload, events.InSchemaVersion(strict.Payload, version))

			// Version 1 cannot hold a policy: a body that claims one is not
			// an event of that version, however well its hash matches.
			claimed := bytes.Replace(old, []byte(`},"prev_hash"`), []byte(`,"policy_version":"2026-03-01"},"prev_hash"`), 1)
			require.NotEqual(t, string(old), string(claimed))
			resealed, ok := resealRaw(claimed)
			require.True(t, ok)
			_, ok = events.DecodeCanonical(resealed)
			assert.False(t, ok)
			_, err = events.DecodeStrict(resealed)
			assert.Error(t, err)
			bad := strict
			bad.Payload = events.AppealDecided{Decision: events.AppealUpheld, Rationale: "r", PolicyVersion: "2026-03-01"}
			_, _, err = events.Seal(bad)
			var verr *events.VersionError
			require.ErrorAs(t, err, &verr, "the encoder refuses a policy at version 1")
			assert.Equal(t, current, verr.Want)

			// Neither version 0 nor one past the current is readable.
			for _, v := range []int{0, current + 1} {
				other := bytes.Replace(old, []byte(`"schema_version":`+strconv.Itoa(version)), []byte(`"schema_version":`+strconv.Itoa(v)), 1)
				resealed, ok := resealRaw(other)
				require.True(t, ok)
				_, ok = events.DecodeCanonical(resealed)
				assert.False(t, ok, "version %d", v)
				_, err = events.DecodeStrict(resealed)
				require.ErrorAs(t, err, &verr, "version %d", v)
				assert.Equal(t, v, verr.Version)
			}
		})
	}
}

// TestInSchemaVersion: a payload at an older version leaves out what that
// version cannot hold, and at its current version is itself.
func TestInSchemaVersion(t *testing.T) {
	t.Parallel()
	d := events.AppealDecided{Decision: events.AppealUpheld, Rationale: "r", PolicyVersion: "v", PolicySHA256: "s"}
	assert.Equal(t, d, events.InSchemaVersion(d, 2))
	assert.Equal(t, events.AppealDecided{Decision: events.AppealUpheld, Rationale: "r"}, events.InSchemaVersion(d, 1))
	m := events.MessagePosted{Text: "t", PolicyVersion: "v"}
	assert.Equal(t, m, events.InSchemaVersion(m, 1), "a type whose shape never changed")
}
