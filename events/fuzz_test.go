package events_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/events"
)

// FuzzDecode holds Decode to its contract on arbitrary bytes: it never
// panics, every refusal is one of the documented errors, and whatever it
// accepts is exactly the canonical encoding of what it returns (Encode gives
// the same bytes back, so does the reference encoder, and decoding them
// again gives an equal envelope). It also holds Decode's two paths to each
// other: the fast canonical reader accepts exactly what the strict
// encoding/json path accepts, and reads the same envelope.
//
// Plain `go test` runs only the seeds (the golden files and mangled
// variants). To search for failures, run for a minute or more:
//
//	go test -run='^$' -fuzz=FuzzDecode -fuzztime=60s ./events/
//
// A random mutation almost never keeps a valid SHA-256, which would leave the
// accepting path unexplored; so each input is also decoded after replacing
// its hash member (if it has one) with the hash of its own body.
func FuzzDecode(f *testing.F) {
	for _, typ := range sortedTypes() {
		golden := readGolden(f, typ)
		f.Add(golden)
		f.Add(golden[:len(golden)/2])
		f.Add(append(bytes.Clone(golden), '\n'))
		f.Add(bytes.Replace(golden, []byte(`"payload":{`), []byte(`"payload":{"x":1,`), 1))
		f.Add(bytes.Replace(golden, []byte(`"schema_version":1`), []byte(`"schema_version":2`), 1))
		f.Add(bytes.Replace(golden, []byte(`"revision":`), []byte(`"revision": `), 1))
		f.Add(bytes.Replace(golden, []byte(`Z"`), []byte(`+00:00"`), 1))
	}
	if fp, err := os.ReadFile(fingerprintGolden); err == nil {
		f.Add(fp)
		f.Add(bytes.Replace(fp, []byte(`"command_fingerprint":"post_message:`), []byte(`"command_fingerprint":"`), 1))
		f.Add(bytes.Replace(fp, []byte(`"command_fingerprint":"post_message:`), []byte(`"command_fingerprint":"","x":"`), 1))
		f.Add(bytes.Replace(fp, []byte(`,"command_fingerprint":`), []byte(`,"command_fingerprint": `), 1))
	}
	old, _ := filepath.Glob("../testdata/events-before-policy-sha256/*.json")
	for _, name := range old {
		if data, err := os.ReadFile(name); err == nil {
			f.Add(data) // events written before policy_sha256 existed
		}
	}
	for _, s := range []string{"", "null", "{}", "[]", `"x"`, "0", `{"id":null}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		checkDecode(t, data)
		if resealed, ok := resealRaw(data); ok {
			checkDecode(t, resealed)
		}
	})
}

func checkDecode(t *testing.T, data []byte) {
	// The fast path must accept exactly what the strict path accepts, and
	// read the same envelope.
	fast, fastOK := events.DecodeCanonical(data)
	strict, strictErr := events.DecodeStrict(data)
	require.Equal(t, strictErr == nil, fastOK, "fast path accepts iff the strict path does (strict: %v)", strictErr)
	if fastOK {
		require.Equal(t, strict, fast)
	}

	env, err := events.Decode(data)
	owned, ownedErr := events.DecodeOwned(bytes.Clone(data))
	require.Equal(t, env, owned, "DecodeOwned reads what Decode reads")
	require.Equal(t, fmt.Sprint(err), fmt.Sprint(ownedErr), "DecodeOwned refuses what Decode refuses, for the same reason")
	if err != nil {
		var unknown *events.UnknownTypeError
		var version *events.VersionError
		require.True(t, errors.Is(err, events.ErrMalformed) || errors.Is(err, events.ErrHashMismatch) ||
			errors.As(err, &unknown) || errors.As(err, &version), "undocumented error: %v", err)
		require.Zero(t, env)
		return
	}
	out, err := events.Encode(env)
	require.NoError(t, err, "Encode of what Decode accepted")
	require.Equal(t, string(data), string(out), "accepted bytes are canonical")
	require.Equal(t, string(data), string(referenceEncode(t, env)), "accepted bytes are the reference encoding")
	again, err := events.Decode(out)
	require.NoError(t, err)
	require.Equal(t, env, again)
}

// resealRaw replaces the hash member at the end of data, if there is one,
// by the hex SHA-256 of everything before it closed with a brace.
func resealRaw(data []byte) ([]byte, bool) {
	cut := len(data) - hashSuffixLen
	if cut < 1 || string(data[cut:cut+9]) != `,"hash":"` || string(data[len(data)-2:]) != `"}` {
		return nil, false
	}
	sum := sha256.Sum256(append(bytes.Clone(data[:cut]), '}'))
	out := append(bytes.Clone(data[:cut+9]), hex.EncodeToString(sum[:])...)
	return append(out, `"}`...), true
}

// FuzzSeal holds the encoder to the reference encoding for arbitrary text in
// the string fields, including characters JSON must escape.
//
//	go test -run='^$' -fuzz=FuzzSeal -fuzztime=30s ./events/
func FuzzSeal(f *testing.F) {
	for _, s := range []string{"", "plain", `<a href="x">&amp;</a>`, "tab\tnl\ncr\rbs\\q\"", "\x00\x1f\x7f", "\u2028\u2029", "\xff\xfe", "尽快 ✓ 🙂", "\xed\xa0\x80"} {
		f.Add(s, s+"-id", uint64(3))
	}
	f.Fuzz(func(t *testing.T, text, id string, rev uint64) {
		env := unsealed("ticket-fuzz", 1)
		env.Stream = events.StreamFor(id)
		env.Revision = rev
		env.Actor.ID = id
		env.CommandID = text
		env.CommandFingerprint = text
		env.CorrelationID = id + text
		env.PrevHash = text
		p := env.Payload.(events.MerchantRejected)
		p.Reason = text
		env.Payload = p
		sealed, wire, err := events.Seal(env)
		if !utf8.ValidString(text) || !utf8.ValidString(id) {
			// encoding/json would write U+FFFD: not what was sealed.
			require.ErrorIs(t, err, events.ErrMalformed)
			return
		}
		require.NoError(t, err)
		require.Equal(t, string(referenceEncode(t, sealed)), string(wire))
		decoded, err := events.Decode(wire)
		require.NoError(t, err, "Decode of sealed bytes")
		out, err := events.Encode(decoded)
		require.NoError(t, err)
		require.Equal(t, string(wire), string(out))
	})
}
