package events_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
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
	for _, seed := range edgeSeeds(readGolden(f, "refund.requested")) {
		f.Add(seed)
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

// edgeSeeds are hand-made variants of golden (refund.requested) at the
// edges of the canonical reader's fast paths (times, UUIDs, strings and
// the hash), each of which only the strict path may decide: spellings
// time, uuid or encoding/json read but never write, values out of range,
// escapes and invalid text. The fuzz function also reseals each one, so
// that the hash does not refuse it before the edge is reached.
func edgeSeeds(golden []byte) [][]byte {
	const (
		delivered = `"delivered_at":"2026-03-10T15:04:05Z"`
		occurred  = `"occurred_at":"2026-03-14T09:26:53.589793238Z"`
		orderID   = `"order_id":"ORD-2026-0314-88812"`
		eventID   = `"id":"019cebab-8995-78b2-90a0-56e52471d3c1"`
	)
	var seeds [][]byte
	with := func(old, new string) {
		if !bytes.Contains(golden, []byte(old)) {
			panic("edge seed: the golden event lacks " + old)
		}
		seeds = append(seeds, bytes.Replace(golden, []byte(old), []byte(new), 1))
	}
	for _, t := range []string{
		"0000-01-01T00:00:00Z", "9999-12-31T23:59:59.999999999Z", "2024-02-29T00:00:00Z",
		"2100-02-29T00:00:00Z", "2026-02-29T00:00:00Z", "2000-02-29T12:00:00Z", "2026-04-31T00:00:00Z",
		"2026-13-10T15:04:05Z", "2026-00-10T15:04:05Z", "2026-03-00T15:04:05Z", "2026-03-32T15:04:05Z",
		"2016-12-31T23:59:60Z", "2026-03-10T24:00:00Z", "2026-03-10T15:60:05Z",
		"2026-03-10T15:04:05.Z", "2026-03-10T15:04:05.10Z", "2026-03-10T15:04:05.000000000Z",
		"2026-03-10T15:04:05.1234567891Z", "2026-03-10T15:04:05,5Z", "2026-03-10T15:04:05.5Z",
		"2026-03-10t15:04:05z", "2026-03-10T15:04:05z", "2026-03-10 15:04:05Z", "2026-3-10T15:04:05Z",
		"+2026-03-10T15:04:05Z", "-0001-03-10T15:04:05Z", "10000-03-10T15:04:05Z", "2026-03-1aT15:04:05Z",
		"2026-03-10T15:04:05+00:00", "2026-03-10T15:04:05-00:00", "2026-03-10T16:04:05+01:00",
		"2026-03-10T15:04:05.5+01:00", "2026-03-10T15:04:05+24:00", "2026-03-10T15:04:05 Z",
		`2026-03-10T15:04:05\u005a`, `2026\u002d03-10T15:04:05Z`, `\u0032026-03-10T15:04:05Z`,
		"２０２６-03-10T15:04:05Z", `2026-03-10T15:04:05Z\n`,
	} {
		with(delivered, `"delivered_at":"`+t+`"`)
		with(occurred, `"occurred_at":"`+t+`"`)
	}
	for _, id := range []string{
		"019CEBAB-8995-78B2-90A0-56E52471D3C1", "019cebab-8995-78b2-90a0-56e52471d3C1",
		"019cebab899578b290a056e52471d3c1", "{019cebab-8995-78b2-90a0-56e52471d3c1}",
		"urn:uuid:019cebab-8995-78b2-90a0-56e52471d3c1", "019cebab-899578b2-90a0-56e52471d3c1-",
		"019cebab-8995-78b2-90a0-56e52471d3cg", "019cebab-8995-78b2-90a0_56e52471d3c1",
		`019cebab\u002d8995-78b2-90a0-56e52471d3c1`, "019cebab-8995-78b2-90a0-56e52471d3c",
		"00000000-0000-0000-0000-000000000000",
	} {
		with(eventID, `"id":"`+id+`"`)
	}
	for _, s := range []string{
		`ORD\u0041`, `ORD\u0041\u0042`, `ORD\/1`, `ORD\u003c`, `ORD\u003C`, `<ORD>`, `ORD&1`,
		`ORD\u00e9`, "ORDé", `ORD\ud83d\ude00`, "ORD🙂", `ORD\ud800`, `ORD\udc00\ud800`,
		`ORD\u2028`, `ORD\u2029`, "ORD\u2028", "ORD\xff", "ORD\xc0\xaf", "ORD\xed\xa0\x80",
		`ORD\u0000`, `ORD\u001f`, `ORD\t`, `ORD\u0009`, `ORD\b\f\n\r`, `ORD\u007f`, "ORD\x7f",
		`ORD\'`, `ORD\x41`, `ORD\`, "ORD\t", "ORD\x00",
		strings.Repeat("x", 127) + `\n`, strings.Repeat("x", 128) + `\n` + strings.Repeat("y", 200),
		strings.Repeat(`\u003c`, 40), strings.Repeat(`é\n`, 100),
	} {
		with(orderID, `"order_id":"`+s+`"`)
	}
	// A hash in upper-case hex (or with one upper-case digit) spells the
	// right sum the wrong way; the fuzz function decodes it as it stands.
	hashAt := len(golden) - len(`"}`) - 64
	upper := bytes.Clone(golden)
	copy(upper[hashAt:], bytes.ToUpper(upper[hashAt:hashAt+64]))
	seeds = append(seeds, upper)
	for i := hashAt; i < hashAt+64; i++ {
		if c := golden[i]; c >= 'a' && c <= 'f' {
			one := bytes.Clone(golden)
			one[i] = c - 'a' + 'A'
			seeds = append(seeds, one)
			break
		}
	}
	return seeds
}

// TestEdgeSeedsReachBothVerdicts keeps the edge seeds useful: resealed,
// some must decode (the fast paths' accepting side, such as year 0000 or
// 29 February 2024) and most must not.
func TestEdgeSeedsReachBothVerdicts(t *testing.T) {
	t.Parallel()
	accepted, refused := 0, 0
	for _, seed := range edgeSeeds(readGolden(t, "refund.requested")) {
		resealed, ok := resealRaw(seed)
		require.True(t, ok)
		checkDecode(t, resealed)
		if _, err := events.Decode(resealed); err == nil {
			accepted++
		} else {
			refused++
		}
	}
	assert.GreaterOrEqual(t, accepted, 10, "seeds the fast paths accept")
	assert.Greater(t, refused, accepted, "seeds only the strict path may refuse")
}
