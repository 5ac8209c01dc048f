package events_test

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"reflect"
	"sort"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/events"
)

// Fixed instants of the fixtures. Nanoseconds are non-zero on purpose: the
// golden files pin how fractional seconds are written (RFC 3339, trailing
// zeros trimmed).
var (
	occurredAt  = time.Date(2026, 3, 14, 9, 26, 53, 589793238, time.UTC)
	deliveredAt = time.Date(2026, 3, 10, 15, 4, 5, 0, time.UTC)
	dueSoon     = time.Date(2026, 3, 16, 9, 26, 53, 589000000, time.UTC)
	dueLater    = time.Date(2026, 3, 21, 16, 0, 0, 0, time.UTC)
)

// v7 returns a deterministic UUID v7: the millisecond timestamp of at and
// random bits taken from the SHA-256 of seed, so fixtures are stable and a
// new fixture never shifts the ids of the others.
func v7(at time.Time, seed string) uuid.UUID {
	var u uuid.UUID
	sum := sha256.Sum256([]byte(seed))
	copy(u[6:], sum[:10])
	var ms [8]byte
	binary.BigEndian.PutUint64(ms[:], uint64(at.UnixMilli()))
	copy(u[:6], ms[2:])
	u[6] = 0x70 | u[6]&0x0f // version 7
	u[8] = 0x80 | u[8]&0x3f // RFC 9562 variant
	return u
}

func ticketID(eventType string) string { return v7(deliveredAt, "ticket/"+eventType).String() }

// policySHA256 stands for the content address of policy "2026-03-01".
var policySHA256 = func() string {
	sum := sha256.Sum256([]byte("policy 2026-03-01"))
	return hex.EncodeToString(sum[:])
}()

func schedule(deadlines ...events.DeadlineKind) events.Schedule {
	s := events.Schedule{PolicyVersion: "2026-03-01", PolicySHA256: policySHA256}
	for i, k := range deadlines {
		due := dueSoon
		if i%2 == 1 {
			due = dueLater
		}
		s.Deadlines = append(s.Deadlines, events.ScheduledDeadline{Kind: k, DueAt: due})
	}
	return s
}

func terms() events.Terms {
	return events.Terms{
		Outcome: events.OutcomeBuyerFavoured, Liability: events.LiabilityMerchant,
		Refund: 129900, Compensation: 1299000, Counterfeit: true,
	}
}

// fixture is one representative event of a catalogue type. Every payload
// field is set (checked by TestFixturesArePopulated) so that the golden files
// pin the wire name and encoding of every field.
type fixture struct {
	actor   events.Actor
	payload events.Payload
}

var (
	buyer      = events.Actor{Role: events.RoleBuyer, ID: "buyer-7731"}
	merchant   = events.Actor{Role: events.RoleMerchant, ID: "merchant-0042"}
	agent      = events.Actor{Role: events.RoleAgent, ID: "agent-19"}
	arbitrator = events.Actor{Role: events.RoleArbitrator, ID: "arb-305"}
	senior     = events.Actor{Role: events.RoleSeniorArbitrator, ID: "sarb-12"}
)

// fixtures returns one fixture per catalogue type, keyed by wire name.
// Strings carry non-ASCII text, quotes, newlines and HTML-special characters
// on purpose: their escaping is part of the wire format.
func fixtures() map[string]fixture {
	delivered := deliveredAt
	list := []fixture{
		{buyer, events.RefundRequested{
			TicketID: ticketID(events.TypeRefundRequested), OrderID: "ORD-2026-0314-88812",
			BuyerID: buyer.ID, MerchantID: merchant.ID,
			Kind: events.KindReturnRefund, Reason: events.ReasonNotAsDescribe,
			Currency: "CNY", AmountPaid: 129900, Requested: 129900,
			Description:  "颜色与描述不符 <color> & size \"XL\"\n附图两张",
			OrderShipped: true, DeliveredAt: &delivered,
			Schedule: schedule(events.DeadlineMerchantResponse, events.DeadlineNegotiation),
		}},
		{buyer, events.RequestRevised{
			Requested: 64950, Description: "只退一半：50% partial",
			Schedule: schedule(events.DeadlineMerchantResponse),
		}},
		{merchant, events.MerchantAgreed{
			Auto: true, ReturnAddress: "浙江省杭州市余杭区文一西路 969 号, Returns Dept.",
			Schedule: schedule(events.DeadlineReturnShipment),
		}},
		{merchant, events.MerchantRejected{
			Reason:   "item shows signs of use",
			Schedule: schedule(events.DeadlineBuyerEscalation),
		}},
		{merchant, events.OfferMade{
			Kind: events.OfferPartialRefund, Amount: 30000, Note: "keep the item, 30 元 back",
			Schedule: schedule(events.DeadlineBuyerEscalation),
		}},
		{buyer, events.OfferAccepted{Kind: events.OfferReplacement, Amount: 1}},
		{buyer, events.OfferDeclined{
			Reason:   "not enough",
			Schedule: schedule(events.DeadlineBuyerEscalation),
		}},
		{buyer, events.ReturnShipped{
			Shipment: events.Shipment{Carrier: "SF Express", TrackingNumber: "SF1402837465019"},
			Schedule: schedule(events.DeadlineMerchantReceipt),
		}},
		{merchant, events.ReturnReceived{Auto: true, Schedule: schedule(events.DeadlineMerchantRefund)}},
		{merchant, events.ReturnProblemReported{
			Problem: events.ProblemEmptyPackage, Note: "box arrived empty; weight 0.2kg",
			Schedule: schedule(events.DeadlineBuyerEscalation),
		}},
		{merchant, events.ReplacementShipped{
			Shipment: events.Shipment{Carrier: "ZTO", TrackingNumber: "ZTO7730019283"},
			Schedule: schedule(events.DeadlineBuyerConfirmation),
		}},
		{buyer, events.ReplacementConfirmed{Auto: true}},
		{merchant, events.RefundIssued{Amount: 129900, Origin: events.RefundBySystem}},
		{agent, events.InterventionRequested{
			By: events.RoleBuyer, Reason: "merchant unresponsive",
			Schedule: schedule(events.DeadlineEvidence),
		}},
		{agent, events.EvidenceRequested{
			Note:     "both parties: photos of the parcel",
			Schedule: schedule(events.DeadlineEvidence),
		}},
		{buyer, events.EvidenceSubmitted{
			Party: events.RoleBuyer,
			Items: []events.EvidenceItem{{
				ID: "ev-01", Kind: "photo", Description: "外包装 outer box",
				SHA256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
				URI:    "https://evidence.example/t/1?sig=abc&exp=1773480413",
			}},
			Late: true,
		}},
		{buyer, events.MarkedResolved{Note: "sorted out by phone"}},
		{arbitrator, events.RulingRecorded{
			Terms: terms(), Rationale: "counterfeit confirmed by brand letter",
			Evidence: []string{"ev-01", "ev-02"}, Late: true,
			Schedule: schedule(events.DeadlineAppeal),
		}},
		{merchant, events.AppealFiled{Party: events.RoleMerchant, Grounds: "brand letter is forged"}},
		{senior, events.AppealDecided{
			Decision: events.AppealOverturned, Rationale: "partial liability",
			Terms: &events.Terms{
				Outcome: events.OutcomePartiallyFavored, Liability: events.LiabilityShared,
				Refund: 64950, Compensation: 100, Counterfeit: true,
			},
			PolicyVersion: "2026-03-01", PolicySHA256: policySHA256,
		}},
		{events.SystemActor(), events.RulingFinalized{Terms: terms()}},
		{buyer, events.TicketWithdrawn{Note: "changed my mind"}},
		{events.SystemActor(), events.TicketAbandoned{}},
		{events.SystemActor(), events.TicketExpired{}},
		{merchant, events.MessagePosted{
			Party: events.RoleMerchant, Text: "我们会尽快处理 — ASAP!",
			VagueDeadline: true, VagueWords: []string{"尽快", "ASAP"}, PolicyVersion: "2026-03-01",
			PolicySHA256: policySHA256,
		}},
		{events.SystemActor(), events.DeadlineExpired{
			Deadline: events.DeadlineMerchantResponse, DueAt: dueSoon, MerchantPenalised: true,
		}},
		{events.SystemActor(), events.RulingSLABreached{DueAt: dueLater}},
	}
	m := make(map[string]fixture, len(list))
	for _, f := range list {
		m[f.payload.EventType()] = f
	}
	return m
}

// predecessorRevision is the revision of the (synthetic) event each fixture
// follows, so that golden files pin a non-zero revision and a real prev_hash.
const predecessorRevision = 6

// sampleEnvelope returns the sealed envelope and wire bytes of eventType's
// fixture. Every type lives in its own stream so that adding a type never
// changes another type's golden file. refund.requested opens its stream;
// every other type follows a synthetic predecessor.
func sampleEnvelope(t testing.TB, eventType string) (events.Envelope, []byte) {
	t.Helper()
	f, ok := fixtures()[eventType]
	require.True(t, ok, "no fixture for event type %q: add one to fixtures()", eventType)
	stream := events.StreamFor(ticketID(eventType))
	var last *events.Envelope
	if eventType != events.TypeRefundRequested {
		sum := sha256.Sum256([]byte("predecessor/" + eventType))
		last = &events.Envelope{Stream: stream, Revision: predecessorRevision, Hash: hex.EncodeToString(sum[:])}
	}
	version, ok := events.SchemaVersionOf(eventType)
	require.True(t, ok)
	env := events.Envelope{
		ID:            v7(occurredAt, "event/"+eventType),
		Stream:        stream,
		Type:          eventType,
		SchemaVersion: version,
		OccurredAt:    occurredAt,
		Actor:         f.actor,
		CommandID:     v7(occurredAt, "command/"+eventType).String(),
		CorrelationID: v7(deliveredAt, "correlation/"+eventType).String(),
		Payload:       f.payload,
	}
	sealed, wire, err := events.Link(last, []events.Envelope{env})
	require.NoError(t, err, "seal %s fixture", eventType)
	return sealed[0], wire[0]
}

// sortedTypes returns Types() sorted, for deterministic iteration in tests.
func sortedTypes() []string {
	ts := events.Types()
	sort.Strings(ts)
	return ts
}

// TestFixturesArePopulated keeps the golden files meaningful: a field left at
// its zero value would let its encoding change unnoticed.
func TestFixturesArePopulated(t *testing.T) {
	t.Parallel()
	for typ, f := range fixtures() {
		require.Equal(t, typ, f.payload.EventType(), "fixture keyed by its wire name")
		require.True(t, f.actor.Role.Valid(), "%s: actor role", typ)
		for _, path := range zeroFields(reflect.ValueOf(f.payload), typ) {
			t.Errorf("fixture %s: field %s is zero; set it so the golden file pins it", typ, path)
		}
	}
}

// zeroFields lists the paths of zero-valued leaves in v: empty strings,
// zero numbers, false, nil pointers and empty slices.
func zeroFields(v reflect.Value, path string) []string {
	if v.Type() == reflect.TypeFor[time.Time]() {
		if v.Interface().(time.Time).IsZero() {
			return []string{path}
		}
		return nil
	}
	switch v.Kind() {
	case reflect.Struct:
		var zero []string
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				zero = append(zero, zeroFields(v.Field(i), path+"."+v.Type().Field(i).Name)...)
			}
		}
		return zero
	case reflect.Pointer:
		if v.IsNil() {
			return []string{path}
		}
		return zeroFields(v.Elem(), path)
	case reflect.Slice:
		if v.Len() == 0 {
			return []string{path}
		}
		var zero []string
		for i := range v.Len() {
			zero = append(zero, zeroFields(v.Index(i), path+"[]")...)
		}
		return zero
	default:
		if v.IsZero() {
			return []string{path}
		}
		return nil
	}
}
