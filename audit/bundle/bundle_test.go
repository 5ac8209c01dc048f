package bundle_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"maps"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/audit"
	"github.com/disputes-ledger/disputes/audit/bundle"
	"github.com/disputes-ledger/disputes/audit/internal/fixture"
	"github.com/disputes-ledger/disputes/audit/seal"
	"github.com/disputes-ledger/disputes/domain/policy"
	"github.com/disputes-ledger/disputes/events"
)

var t0 = time.Date(2026, 11, 2, 1, 30, 0, 0, time.UTC)

func testKey(label string) ed25519.PrivateKey {
	seed := sha256.Sum256([]byte(label))
	return ed25519.NewKeyFromSeed(seed[:])
}

var sealKey = testKey("bundle seal key")

func pub() ed25519.PublicKey { return sealKey.Public().(ed25519.PublicKey) }

// ledger is an in-memory log of n tickets under pol, sealed at a third, two
// thirds and the head, with extra events after the last seal unless sealAll.
type ledger struct {
	log   *fixture.Memory
	seals *fixture.Seals
	pol   policy.Policy
}

func newLedger(t *testing.T, n int, pol policy.Policy, unsealedTail bool) *ledger {
	t.Helper()
	ctx := context.Background()
	m := fixture.NewMemory(pol)
	require.NoError(t, fixture.Run(ctx, fixture.FlowsEvery(t0, n, 3*time.Hour), m))
	seals := &fixture.Seals{}
	total := len(m.Records)
	cuts := []int{total / 3, 2 * total / 3, total}
	if unsealedTail {
		cuts[2] = total - 5
	}
	clock := t0.AddDate(0, 1, 0)
	for _, c := range cuts {
		view := &fixture.Memory{Records: m.Records[:c]}
		s, err := audit.NewSealer(view, seals, sealKey, func() time.Time { clock = clock.Add(time.Hour); return clock })
		require.NoError(t, err)
		_, _, err = s.SealToHead(ctx)
		require.NoError(t, err)
	}
	return &ledger{log: m, seals: seals, pol: pol}
}

func (l *ledger) export(t *testing.T, scope bundle.Scope) (*bytes.Buffer, bundle.Summary) {
	t.Helper()
	var buf bytes.Buffer
	sum, err := bundle.Export(context.Background(), &buf, bundle.Source{Log: l.log, Seals: l.seals, Policies: audit.NewPolicySet(l.pol)}, scope, t0.AddDate(0, 2, 0))
	require.NoError(t, err)
	return &buf, sum
}

func verify(t *testing.T, b []byte, pinned ed25519.PublicKey) *audit.Report {
	t.Helper()
	rep, err := bundle.Verify(bytes.NewReader(b), "test.jsonl", audit.Options{PublicKey: pinned})
	require.NoError(t, err)
	return rep
}

func checks(rep *audit.Report) []audit.Check { return slices.Sorted(maps.Keys(rep.Counts)) }

func ptr(t time.Time) *time.Time { return &t }

func TestExportVerifiesOffline(t *testing.T) {
	t.Parallel()
	l := newLedger(t, 28, policy.Default(), false)
	tests := []struct {
		scope    bundle.Scope
		complete bool
	}{
		{bundle.Scope{Kind: bundle.ScopeAll}, true},
		{bundle.Scope{Kind: bundle.ScopeTicket, Ticket: fixture.TicketID(4)}, false},
		{bundle.Scope{Kind: bundle.ScopeMerchant, Merchant: fixture.Merchant(5).ID}, false},
		{bundle.Scope{Kind: bundle.ScopeRange, From: ptr(t0.Add(24 * time.Hour)), To: ptr(t0.Add(30 * time.Hour))}, false},
	}
	for _, tc := range tests {
		t.Run(tc.scope.String(), func(t *testing.T) {
			t.Parallel()
			buf, sum := l.export(t, tc.scope)
			assert.Equal(t, tc.complete, sum.Complete)
			assert.Equal(t, []string{policy.DefaultVersion}, sum.Policies)
			assert.Empty(t, sum.MissingPolicies)
			assert.Equal(t, 3, sum.Seals)
			rep := verify(t, buf.Bytes(), pub())
			assert.Empty(t, rep.Findings)
			assert.Empty(t, rep.Warnings)
			assert.Equal(t, sum.Events, rep.Events)
			assert.Equal(t, sum.Tickets, rep.Tickets)
			assert.Equal(t, tc.complete, rep.Complete)
			if !tc.complete {
				assert.Equal(t, sum.Events, sum.Proven, "every event of a sealed log carries a proof")
				assert.Less(t, sum.Events, len(l.log.Records))
			} else {
				assert.Equal(t, len(l.log.Records), rep.Events)
			}
		})
	}
}

func TestExportScopeSelectsWholeTickets(t *testing.T) {
	t.Parallel()
	l := newLedger(t, 21, policy.Default(), false)
	buf, sum := l.export(t, bundle.Scope{Kind: bundle.ScopeMerchant, Merchant: fixture.Merchant(3).ID})
	tickets := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSpace(buf.String()), "\n")[1:] {
		var rec bundle.Event
		require.NoError(t, json.Unmarshal([]byte(line), &rec))
		if rec.Kind != bundle.KindEvent {
			continue
		}
		var env struct{ Stream string }
		require.NoError(t, json.Unmarshal(rec.Data, &env))
		tickets[env.Stream] = true
	}
	// Merchant m-3 sells tickets 3 (and 53, 103… beyond this ledger).
	assert.Equal(t, map[string]bool{"ticket-" + fixture.TicketID(3): true}, tickets)
	assert.Equal(t, 1, sum.Tickets)
}

func TestExportScopeErrors(t *testing.T) {
	t.Parallel()
	l := newLedger(t, 7, policy.Default(), false)
	var buf bytes.Buffer
	src := bundle.Source{Log: l.log, Seals: l.seals, Policies: audit.NewPolicySet(l.pol)}
	for _, bad := range []bundle.Scope{{}, {Kind: bundle.ScopeTicket}, {Kind: bundle.ScopeRange, From: ptr(t0), To: ptr(t0)},
		{Kind: bundle.ScopeAll, Ticket: "x"}, {Kind: bundle.ScopeMerchant}} {
		_, err := bundle.Export(context.Background(), &buf, src, bad, t0)
		assert.ErrorIs(t, err, bundle.ErrScope, "%+v", bad)
	}
	_, err := bundle.Export(context.Background(), &buf, src, bundle.Scope{Kind: bundle.ScopeTicket, Ticket: "nope"}, t0)
	assert.ErrorIs(t, err, bundle.ErrNothingToExport)
}

// lines splits a bundle into lines and joins them back.
func edit(b []byte, f func(lines [][]byte) [][]byte) []byte {
	lines := bytes.Split(bytes.TrimRight(b, "\n"), []byte("\n"))
	return append(bytes.Join(f(lines), []byte("\n")), '\n')
}

// eventLine returns the index of the n-th event line.
func eventLine(t *testing.T, lines [][]byte, n int) int {
	t.Helper()
	for i, l := range lines {
		if bytes.HasPrefix(l, []byte(`{"kind":"event"`)) {
			if n == 0 {
				return i
			}
			n--
		}
	}
	t.Fatal("not enough event lines")
	return 0
}

func TestVerifyFindsTamperedBundles(t *testing.T) {
	t.Parallel()
	l := newLedger(t, 14, policy.Default(), false)
	all, _ := l.export(t, bundle.Scope{Kind: bundle.ScopeAll})
	one, _ := l.export(t, bundle.Scope{Kind: bundle.ScopeTicket, Ticket: fixture.TicketID(0)})
	tests := []struct {
		name   string
		bundle []byte
		pin    ed25519.PublicKey
		want   []audit.Check
	}{
		{"payload byte changed", edit(one.Bytes(), func(ls [][]byte) [][]byte {
			i := eventLine(t, ls, 2)
			ls[i] = bytes.Replace(ls[i], []byte(`"actor":{"role":"`), []byte(`"actor":{"role":"x`), 1)
			return ls
		}), pub(), []audit.Check{audit.CheckEventHash}},
		{"stored hash changed: the proof fails and the chain breaks", edit(one.Bytes(), func(ls [][]byte) [][]byte {
			i := eventLine(t, ls, 2)
			ls[i] = bytes.Replace(ls[i], []byte(`"hash":"`), []byte(`"hash":"00`), 1)
			ls[i] = append(ls[i][:len(ls[i])-len(`"}}`)-2], `"}}`...)
			return ls
		}), pub(), []audit.Check{audit.CheckChain, audit.CheckEventHash, audit.CheckInclusion}},
		{"event line dropped from a partial bundle", edit(one.Bytes(), func(ls [][]byte) [][]byte {
			i := eventLine(t, ls, 3)
			return append(ls[:i], ls[i+1:]...)
		}), pub(), []audit.Check{audit.CheckBundleFormat, audit.CheckChain, audit.CheckDeadlineExpiry}},
		{"last event dropped from the whole log", edit(all.Bytes(), func(ls [][]byte) [][]byte {
			return ls[:len(ls)-1]
		}), pub(), []audit.Check{audit.CheckBundleFormat, audit.CheckSealRoot}},
		{"another key pinned", all.Bytes(), testKey("someone else").Public().(ed25519.PublicKey),
			[]audit.Check{audit.CheckPublicKey, audit.CheckSealSignature}},
		{"consistency proof removed", edit(one.Bytes(), func(ls [][]byte) [][]byte {
			out := ls[:0]
			for _, l := range ls {
				if !bytes.HasPrefix(l, []byte(`{"kind":"consistency"`)) {
					out = append(out, l)
				}
			}
			return out
		}), pub(), []audit.Check{audit.CheckSealConsistency}},
		{"seal after the events", edit(all.Bytes(), func(ls [][]byte) [][]byte {
			return append(ls, ls[3])
		}), pub(), []audit.Check{audit.CheckBundleFormat}},
		{"not a bundle", []byte("{\"kind\":\"event\"}\n"), pub(), []audit.Check{audit.CheckBundleFormat, audit.CheckSealMissing}},
		{"empty", nil, pub(), []audit.Check{audit.CheckBundleFormat, audit.CheckSealMissing}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rep := verify(t, tc.bundle, tc.pin)
			assert.Equal(t, tc.want, checks(rep), "findings: %+v", rep.Findings)
			assert.False(t, rep.OK())
		})
	}
}

func TestVerifyWithoutPinnedKeyFailsUnlessTrustedOnFirstUse(t *testing.T) {
	t.Parallel()
	l := newLedger(t, 7, policy.Default(), false)
	buf, _ := l.export(t, bundle.Scope{Kind: bundle.ScopeAll})
	rep := verify(t, buf.Bytes(), nil)
	assert.False(t, rep.OK())
	assert.Equal(t, []audit.Check{audit.CheckKeyNotPinned}, checks(rep))
	assert.Contains(t, rep.Of(audit.CheckKeyNotPinned)[0].Message, rep.KeyID, "names the key the source carries")

	rep, err := bundle.Verify(bytes.NewReader(buf.Bytes()), "test.jsonl", audit.Options{TrustOnFirstUse: true})
	require.NoError(t, err)
	assert.True(t, rep.OK(), "%+v", rep.Findings)
	assert.False(t, rep.KeyPinned)
	require.NotEmpty(t, rep.Warnings)
	assert.Contains(t, rep.Warnings[0], "not pinned")
	assert.Contains(t, rep.Warnings[0], "--key-id "+rep.KeyID, "says what to pin")
}

func TestUnsealedTailIsAWarning(t *testing.T) {
	t.Parallel()
	l := newLedger(t, 7, policy.Default(), true)
	lastTicket := strings.TrimPrefix(l.log.Records[len(l.log.Records)-1].Stream, "ticket-")
	for _, scope := range []bundle.Scope{{Kind: bundle.ScopeAll}, {Kind: bundle.ScopeTicket, Ticket: lastTicket}} {
		buf, _ := l.export(t, scope)
		rep := verify(t, buf.Bytes(), pub())
		assert.True(t, rep.OK(), "%s: %+v", scope, rep.Findings)
		require.Len(t, rep.Warnings, 1, scope.String())
		assert.Contains(t, rep.Warnings[0], "not covered by the latest seal")
	}
}

func TestBundleCarriesItsPolicies(t *testing.T) {
	t.Parallel()
	custom := policy.Default()
	custom.Version = "2027-strict"
	custom.Windows.MerchantResponse = policy.Duration(48 * time.Hour)
	custom.Windows.Evidence = policy.Duration(3 * time.Hour)
	raw, err := json.Marshal(custom)
	require.NoError(t, err)
	custom, err = policy.Parse(raw)
	require.NoError(t, err)
	l := newLedger(t, 14, custom, false)
	buf, sum := l.export(t, bundle.Scope{Kind: bundle.ScopeAll})
	assert.Equal(t, []string{"2027-strict"}, sum.Policies)

	// Offline, the verifier knows only what the bundle carries.
	rep := verify(t, buf.Bytes(), pub())
	assert.True(t, rep.OK(), "%+v", rep.Findings)
	assert.Equal(t, []string{"2027-strict"}, rep.Policies)

	// Without the policy line, nothing can be checked against the rules.
	stripped := edit(buf.Bytes(), func(ls [][]byte) [][]byte {
		out := ls[:0]
		for _, l := range ls {
			if !bytes.HasPrefix(l, []byte(`{"kind":"policy"`)) {
				out = append(out, l)
			}
		}
		return out
	})
	rep = verify(t, stripped, pub())
	assert.Equal(t, []audit.Check{audit.CheckPolicyUnknown}, checks(rep))
	assert.Contains(t, rep.Findings[0].Message, `"2027-strict"`)

	// Swapping in the default policy under the custom name changes the rules:
	// the stored deadlines no longer follow from it.
	def := policy.Default()
	def.Version = "2027-strict"
	defRaw, err := json.Marshal(def)
	require.NoError(t, err)
	swapped := edit(buf.Bytes(), func(ls [][]byte) [][]byte {
		for i, l := range ls {
			if bytes.HasPrefix(l, []byte(`{"kind":"policy"`)) {
				line, err := json.Marshal(bundle.Policy{Kind: bundle.KindPolicy, Version: def.Version, Policy: defRaw})
				require.NoError(t, err)
				ls[i] = line
			}
		}
		return ls
	})
	rep = verify(t, swapped, pub())
	assert.Equal(t, []audit.Check{audit.CheckDeadlineSchedule, audit.CheckPolicyHash}, checks(rep))
}

// TestEditedPolicyLineIsCaught is the regression test of finding 5 of
// issue 12: 假一赔十 edited to 假一赔三 in the bundle's policy line, which
// makes every lawful counterfeit ruling look unlawful (or, edited the
// other way, an unlawful one lawful), is named for what it is.
func TestEditedPolicyLineIsCaught(t *testing.T) {
	t.Parallel()
	l := newLedger(t, 14, policy.Default(), false)
	buf, _ := l.export(t, bundle.Scope{Kind: bundle.ScopeAll})
	require.True(t, verify(t, buf.Bytes(), pub()).OK())
	var policyLines int
	for _, line := range bytes.Split(buf.Bytes(), []byte("\n")) {
		if !bytes.HasPrefix(line, []byte(`{"kind":"policy"`)) {
			continue
		}
		policyLines++
		var p bundle.Policy
		require.NoError(t, json.Unmarshal(line, &p))
		sum := sha256.Sum256(p.Policy)
		assert.Equal(t, policy.Default().SHA256(), hex.EncodeToString(sum[:]),
			"the line holds the canonical document: its bytes hash to the recorded address")
	}
	require.Equal(t, 1, policyLines)

	edited := bytes.Replace(buf.Bytes(), []byte(`"compensation_multiple":10`), []byte(`"compensation_multiple":3`), 1)
	require.NotEqual(t, buf.Bytes(), edited)
	rep := verify(t, edited, pub())
	require.True(t, rep.Has(audit.CheckPolicyHash), "%+v", rep.Findings)
	f := rep.Of(audit.CheckPolicyHash)[0]
	assert.Contains(t, f.Message, policy.DefaultVersion)
	assert.Contains(t, f.Message, policy.Default().SHA256(), "names the address the events recorded")
	assert.NotZero(t, f.Position, "points at the first event decided under the real policy")
	assert.Equal(t, 1, rep.Counts[audit.CheckPolicyHash], "one finding per policy version")
}

func TestReportText(t *testing.T) {
	t.Parallel()
	l := newLedger(t, 7, policy.Default(), false)
	buf, _ := l.export(t, bundle.Scope{Kind: bundle.ScopeAll})
	broken := edit(buf.Bytes(), func(ls [][]byte) [][]byte { return ls[:len(ls)-1] })
	rep := verify(t, broken, pub())
	var out strings.Builder
	require.NoError(t, rep.WriteText(&out))
	text := out.String()
	assert.True(t, strings.HasPrefix(text, "FAIL  test.jsonl"), text)
	assert.Contains(t, text, "seal_root")
	assert.Contains(t, text, "bundle_format")
	assert.Contains(t, text, "pinned by the auditor")
}

func TestRewrittenTicketFailsItsInclusionProofs(t *testing.T) {
	t.Parallel()
	l := newLedger(t, 7, policy.Default(), false)
	stream := "ticket-" + fixture.TicketID(0)
	// After sealing, the operator rewrites ticket 0 whole with fresh hashes.
	var envs []events.Envelope
	var positions []uint64
	for _, r := range l.log.Records {
		if r.Stream == stream {
			env, err := events.Decode(r.Data)
			require.NoError(t, err)
			envs, positions = append(envs, env), append(positions, r.Position)
		}
	}
	open := envs[0].Payload.(events.RefundRequested)
	open.Requested /= 2
	envs[0].Payload = open
	_, wire, err := events.Link(nil, envs)
	require.NoError(t, err)
	for i, p := range positions {
		l.log.Records[p-1].Data = wire[i]
	}

	buf, _ := l.export(t, bundle.Scope{Kind: bundle.ScopeTicket, Ticket: fixture.TicketID(0)})
	rep := verify(t, buf.Bytes(), pub())
	// The exporter's consistency proofs come from the rewritten log, so they
	// no longer link the signed roots either.
	assert.Equal(t, []audit.Check{audit.CheckInclusion, audit.CheckSealConsistency}, checks(rep))
	incl := rep.Of(audit.CheckInclusion)
	require.Len(t, incl, len(positions), "every rewritten event is named: %+v", rep.Findings)
	for i, f := range incl {
		assert.Equal(t, positions[i], f.Position)
		assert.Equal(t, fixture.TicketID(0), f.Ticket)
	}
}

func TestPinByKeyID(t *testing.T) {
	t.Parallel()
	l := newLedger(t, 7, policy.Default(), false)
	buf, _ := l.export(t, bundle.Scope{Kind: bundle.ScopeAll})
	for _, tc := range []struct {
		keyID string
		want  []audit.Check
	}{
		{seal.KeyID(pub()), nil},
		{"ed25519:00000000000000000000000000000000", []audit.Check{audit.CheckPublicKey, audit.CheckSealSignature}},
	} {
		rep, err := bundle.Verify(bytes.NewReader(buf.Bytes()), "b", audit.Options{KeyID: tc.keyID})
		require.NoError(t, err)
		assert.Equal(t, tc.want, checks(rep), tc.keyID)
		assert.Equal(t, tc.want == nil, rep.KeyPinned)
		if tc.want == nil {
			assert.Empty(t, rep.Warnings)
		}
	}
}

// TestVerifyPipelineOrder checks that preparing lines, and checking
// tickets, on any number of goroutines reports exactly what checking them
// one by one does, on a bundle long enough to span many batches and broken
// in several places. Not parallel: it changes the package's worker setting.
func TestVerifyPipelineOrder(t *testing.T) {
	l := newLedger(t, 300, policy.Default(), false)
	buf, _ := l.export(t, bundle.Scope{Kind: bundle.ScopeAll})
	broken := edit(buf.Bytes(), func(ls [][]byte) [][]byte {
		for _, n := range []int{10, 700, 1500} {
			i := eventLine(t, ls, n)
			ls[i] = bytes.Replace(ls[i], []byte(`"command_id":"`), []byte(`"command_id":"x`), 1)
		}
		i := eventLine(t, ls, 2000)
		return append(ls[:i], ls[i+1:]...)
	})
	var reports []*audit.Report
	for _, workers := range []struct{ prepare, check int }{{-1, 1}, {0, 0}, {1, 2}, {3, 5}, {-1, 3}} {
		old := bundle.SetPrepareWorkers(workers.prepare)
		rep, err := bundle.Verify(bytes.NewReader(broken), "test.jsonl", audit.Options{PublicKey: pub(), Workers: workers.check})
		require.NoError(t, err)
		reports = append(reports, rep)
		bundle.SetPrepareWorkers(old)
	}
	require.NotEmpty(t, reports[0].Findings)
	assert.Contains(t, checks(reports[0]), audit.CheckEventHash)
	assert.Contains(t, checks(reports[0]), audit.CheckLogGap)
	for _, rep := range reports[1:] {
		assert.Equal(t, reports[0], rep)
	}
}

// TestVerifyRoutesByTheDecodedStream: the Verifier decodes each event line
// on the shard of the stream its bytes name as written (audit.HintOf), but
// checks it on the shard of the stream it decodes to. Lines whose written
// stream is not the one they decode to — an escape the strict decoder
// refuses, which the lenient reading of a broken event resolves, and a
// second stream member, the last of which the lenient reading keeps — are
// reported exactly as when every line is prepared and checked on one
// goroutine: their tickets' chains go on past them on the right shard, and
// nothing else is found. Not parallel: it changes the package's worker
// setting.
func TestVerifyRoutesByTheDecodedStream(t *testing.T) {
	l := newLedger(t, 300, policy.Default(), false)
	buf, _ := l.export(t, bundle.Scope{Kind: bundle.ScopeAll})
	var moved []string
	broken := edit(buf.Bytes(), func(ls [][]byte) [][]byte {
		events := bytes.Count(buf.Bytes(), []byte(`{"kind":"event"`))
		require.Greater(t, events, 3*512, "the bundle must span batches")
		for n := 40; n < events/2; n += 97 {
			i := eventLine(t, ls, n)
			other := ls[eventLine(t, ls, n+events/3)]
			stream := regexp.MustCompile(`"stream":"(ticket-[^"]*)"`)
			own, theirs := stream.FindSubmatch(ls[i]), stream.FindSubmatch(other)
			require.NotNil(t, own)
			require.NotNil(t, theirs)
			if n%2 == 0 {
				escaped := bytes.Replace(own[1], []byte("-"), []byte(`\u002d`), 1)
				ls[i] = bytes.Replace(ls[i], own[0], []byte(`"stream":"`+string(escaped)+`"`), 1)
			} else {
				ls[i] = bytes.Replace(ls[i], own[0], append(append([]byte{}, own[0]...), `,"stream":"`+string(theirs[1])+`"`...), 1)
			}
			moved = append(moved, string(own[1]))
		}
		return ls
	})
	var reports []*audit.Report
	for _, workers := range []struct{ prepare, check int }{{-1, 1}, {0, 2}, {0, 3}, {0, 5}} {
		old := bundle.SetPrepareWorkers(workers.prepare)
		rep, err := bundle.Verify(bytes.NewReader(broken), "test.jsonl", audit.Options{PublicKey: pub(), Workers: workers.check, MaxFindings: -1})
		bundle.SetPrepareWorkers(old)
		require.NoError(t, err)
		reports = append(reports, rep)
	}
	serial := reports[0]
	require.Equal(t, len(moved), serial.Counts[audit.CheckEventHash], "each edited line is an event that does not verify: %v", serial.Counts)
	assert.NotEmpty(t, serial.Warnings)
	for i, rep := range reports[1:] {
		assert.Equal(t, serial, rep, "configuration %d disagrees with one goroutine", i+1)
	}
}

// Lines are read into arenas and decoded in place: a bundle read through
// arenas of a few lines each, or smaller than one line, is verified exactly
// as through the default ones, tampering included.
func TestVerifyAcrossArenas(t *testing.T) {
	l := newLedger(t, 60, policy.Default(), false)
	buf, _ := l.export(t, bundle.Scope{Kind: bundle.ScopeAll})
	broken := edit(buf.Bytes(), func(ls [][]byte) [][]byte {
		i := eventLine(t, ls, 40)
		ls[i] = bytes.Replace(ls[i], []byte(`"command_id":"`), []byte(`"command_id":"x`), 1)
		return ls
	})
	want := verify(t, broken, pub())
	require.Contains(t, checks(want), audit.CheckEventHash)
	for _, size := range []int{100, 4 << 10, 64 << 10} {
		old := bundle.SetArenaSize(size)
		got := verify(t, broken, pub())
		bundle.SetArenaSize(old)
		assert.Equal(t, want, got, "arenas of %d bytes", size)
	}
}
