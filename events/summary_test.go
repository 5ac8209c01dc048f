package events_test

import (
	"bufio"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/events"
)

// summaryGolden pins Summary's text byte for byte: the audit trail and the
// timelines show it, and exports compare it across versions.
//
//	go test ./events/ -run TestSummaryGolden -update
const summaryGolden = "testdata/summary.golden"

// summaryCase is one payload whose summary the golden file pins.
type summaryCase struct {
	name    string
	payload events.Payload
}

// summaryCases returns every catalogue fixture plus the variants that take
// Summary's other branches: automatic acts, absent optional parts, amounts
// with one digit of minor units or negative, text that is clipped, quoted or
// not UTF-8.
func summaryCases() []summaryCase {
	var cases []summaryCase
	fx := fixtures()
	for _, typ := range sortedTypes() {
		cases = append(cases, summaryCase{typ, fx[typ].payload})
	}
	long := strings.Repeat("商家一直不回复 no reply ", 6)
	more := []summaryCase{
		{"refund.requested/no-currency", events.RefundRequested{Kind: events.KindRefundOnly, Reason: events.ReasonNotShipped, AmountPaid: 5, Requested: -7, OrderID: ""}},
		{"refund.requested/min-int64", events.RefundRequested{Kind: events.KindRefundOnly, Currency: "USD", AmountPaid: math.MinInt64, Requested: math.MaxInt64}},
		{"request.revised/zero", events.RequestRevised{}},
		{"merchant.agreed/manual", events.MerchantAgreed{ReturnAddress: "Returns, 1 Main St"}},
		{"merchant.agreed/manual-no-address", events.MerchantAgreed{}},
		{"merchant.rejected/long", events.MerchantRejected{Reason: long}},
		{"merchant.rejected/80-runes", events.MerchantRejected{Reason: strings.Repeat("尽", 80)}},
		{"merchant.rejected/81-runes", events.MerchantRejected{Reason: strings.Repeat("尽", 81)}},
		{"offer.made/no-amount", events.OfferMade{Kind: events.OfferReplacement}},
		{"offer.made/negative", events.OfferMade{Kind: events.OfferPartialRefund, Amount: -1}},
		{"offer.accepted/no-amount", events.OfferAccepted{Kind: events.OfferPartialRefund}},
		{"return.received/manual", events.ReturnReceived{}},
		{"replacement.confirmed/manual", events.ReplacementConfirmed{}},
		{"refund.issued/merchant", events.RefundIssued{Amount: 9, Origin: events.RefundByMerchant}},
		{"evidence.submitted/none", events.EvidenceSubmitted{}},
		{"evidence.submitted/two", events.EvidenceSubmitted{Items: []events.EvidenceItem{{ID: "a"}, {ID: "b"}}}},
		{"ruling.recorded/no-counterfeit", events.RulingRecorded{Terms: events.Terms{Outcome: events.OutcomeMerchantFavoured, Liability: events.LiabilityBuyer, Refund: 10}}},
		{"ruling.finalized/zero", events.RulingFinalized{}},
		{"appeal.filed/long", events.AppealFiled{Grounds: long}},
		{"message.posted/plain", events.MessagePosted{Text: "hello"}},
		{"message.posted/quotes", events.MessagePosted{Text: "say \"hi\"\n\t\\ \x00 \u2028 é"}},
		{"message.posted/invalid-utf8", events.MessagePosted{Text: "bad \xff\xfe bytes"}},
		{"message.posted/long-vague", events.MessagePosted{Text: long, VagueDeadline: true, VagueWords: []string{"soon"}}},
		{"message.posted/vague-no-words", events.MessagePosted{Text: "x", VagueDeadline: true}},
		{"deadline.expired/not-penalised", events.DeadlineExpired{Deadline: events.DeadlineEvidence}},
	}
	return append(cases, more...)
}

func summaryOf(p events.Payload) string {
	return events.Summary(events.Envelope{Type: p.EventType(), Payload: p})
}

func readSummaryGolden(t *testing.T) map[string]string {
	t.Helper()
	f, err := os.Open(summaryGolden)
	require.NoError(t, err, "create it with: go test ./events/ -run TestSummaryGolden -update")
	defer f.Close()
	golden := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		name, quoted, ok := strings.Cut(sc.Text(), "\t")
		require.True(t, ok, "golden line %q", sc.Text())
		text, err := strconv.Unquote(quoted)
		require.NoError(t, err, "golden line %q", sc.Text())
		golden[name] = text
	}
	require.NoError(t, sc.Err())
	return golden
}

// TestSummaryGolden fails when any event type's summary changes by one byte.
func TestSummaryGolden(t *testing.T) {
	cases := summaryCases()
	if *update {
		var b strings.Builder
		for _, c := range cases {
			fmt.Fprintf(&b, "%s\t%s\n", c.name, strconv.Quote(summaryOf(c.payload)))
		}
		require.NoError(t, os.WriteFile(summaryGolden, []byte(b.String()), 0o644))
	}
	golden := readSummaryGolden(t)
	require.Len(t, golden, len(cases), "golden file and cases disagree: rerun with -update and review")
	for _, c := range cases {
		want, ok := golden[c.name]
		if assert.True(t, ok, "no golden summary for %s", c.name) {
			assert.Equal(t, want, summaryOf(c.payload), c.name)
		}
	}
	// A payload Summary does not know reads as its wire type.
	assert.Equal(t, "some.type", events.Summary(events.Envelope{Type: "some.type"}))
}

// TestSummaryCoversEveryType fails when a type is added without a fixture,
// so its summary would go unpinned.
func TestSummaryCoversEveryType(t *testing.T) {
	t.Parallel()
	fx := fixtures()
	for _, typ := range events.Types() {
		f, ok := fx[typ]
		require.True(t, ok, "no fixture for %s", typ)
		assert.NotEqual(t, typ, summaryOf(f.payload), "Summary has no case for %s", typ)
	}
}

// TestMoneyMatchesPrintf holds Money to the format it has always written,
// "%s%d.%02d" with the sign split off, over edge and random amounts.
func TestMoneyMatchesPrintf(t *testing.T) {
	t.Parallel()
	reference := func(minor int64, currency string) string {
		sign := ""
		if minor < 0 {
			sign, minor = "-", -minor
		}
		s := fmt.Sprintf("%s%d.%02d", sign, minor/100, minor%100)
		if currency != "" {
			s += " " + currency
		}
		return s
	}
	amounts := []int64{0, 1, 9, 10, 99, 100, 101, 109, 110, 19900, -1, -9, -10, -99, -100, -101,
		math.MaxInt64, math.MinInt64, math.MinInt64 + 1, 1<<53 - 1}
	r := rand.New(rand.NewPCG(1, 2))
	for range 2000 {
		amounts = append(amounts, r.Int64()-r.Int64(), r.Int64N(100000)-50000)
	}
	for _, a := range amounts {
		for _, cur := range []string{"", "CNY"} {
			require.Equal(t, reference(a, cur), events.Money(a, cur), "Money(%d, %q)", a, cur)
		}
	}
}

// BenchmarkSummary measures the summary of every catalogue fixture, what the
// audit trail projection computes for each event it folds:
//
//	go test -run='^$' -bench=Summary -benchmem ./events/
func BenchmarkSummary(b *testing.B) {
	fx := fixtures()
	var envs []events.Envelope
	for _, typ := range sortedTypes() {
		envs = append(envs, events.Envelope{Type: typ, Payload: fx[typ].payload})
	}
	b.ReportAllocs()
	for b.Loop() {
		for _, env := range envs {
			_ = events.Summary(env)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(envs)), "ns/summary")
}
