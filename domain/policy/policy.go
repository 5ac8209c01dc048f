package policy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/disputes-ledger/disputes/domain/calendar"
	"github.com/disputes-ledger/disputes/events"
)

// Windows are the deadline lengths of docs/domain.md's deadline table. Evidence is
// working time on the business calendar; all others are clock time.
type Windows struct {
	MerchantResponse  Duration `json:"merchant_response"`
	ReturnShipment    Duration `json:"return_shipment"`
	BuyerEscalation   Duration `json:"buyer_escalation"`
	MerchantReceipt   Duration `json:"merchant_receipt"`
	MerchantRefund    Duration `json:"merchant_refund"`
	MerchantReship    Duration `json:"merchant_reship"`
	BuyerConfirmation Duration `json:"buyer_confirmation"`
	Negotiation       Duration `json:"negotiation"`
	Evidence          Duration `json:"evidence"` // working hours
	RulingSLA         Duration `json:"ruling_sla"`
	Appeal            Duration `json:"appeal"`
}

// Penalties are the merchant penalty points of docs/domain.md.
type Penalties struct {
	MerchantResponseExpired int `json:"merchant_response_expired"`
	ReshipOrRefundExpired   int `json:"reship_or_refund_expired"`
	NoEvidence              int `json:"no_evidence"`
	MerchantLiability       int `json:"merchant_liability"`
	SharedLiability         int `json:"shared_liability"`
	Counterfeit             int `json:"counterfeit"`
	VagueMessage            int `json:"vague_message"`
	// ReviewThreshold flags a merchant for review when its score reaches it.
	ReviewThreshold int `json:"review_threshold"`
	// WindowDays is the length of the rolling score window.
	WindowDays int `json:"window_days"`
}

// Policy is one version of the rules.
type Policy struct {
	Version  string          `json:"version"`
	Calendar calendar.Config `json:"calendar"`
	Windows  Windows         `json:"windows"`
	// NoReasonDays is the 七天无理由 window, counted from the day after delivery.
	NoReasonDays int `json:"no_reason_days"`
	// CompensationMultiple is the counterfeit compensation (假一赔十) as a multiple of the price paid.
	CompensationMultiple int64 `json:"compensation_multiple"`
	// MaxAmount bounds every amount a command may carry (price paid,
	// request, offer, refund, compensation), in minor units: larger ones
	// are refused when the command is parsed. Its compensation multiple
	// must be at most MaxSafeAmount, so no amount the rules compute can
	// overflow, and every amount in the ledger's JSON is a number that
	// JavaScript (a double) holds exactly.
	MaxAmount  int64     `json:"max_amount"`
	VagueWords []string  `json:"vague_words"`
	Penalties  Penalties `json:"penalties"`

	cal  *calendar.Calendar
	addr *address // the content address, computed when compiled
}

// MaxSafeAmount is 2^53-1, the largest integer a JSON number holds exactly
// in every client (RFC 7493, I-JSON): no amount, compensation included,
// may exceed it (Validate).
const MaxSafeAmount int64 = 1<<53 - 1

// DefaultMaxAmount is Default()'s MaxAmount: 10^12 fen, ten billion yuan,
// beyond any one order's price and far below int64's range.
const DefaultMaxAmount int64 = 1_000_000_000_000

// DefaultVersion is the version label of Default().
const DefaultVersion = "2026-11-default"

// Default returns the policy of docs/domain.md.
func Default() Policy {
	p := Policy{
		Version:  DefaultVersion,
		Calendar: calendar.DefaultConfig(),
		Windows: Windows{
			MerchantResponse:  Duration(72 * time.Hour),
			ReturnShipment:    Duration(7 * 24 * time.Hour),
			BuyerEscalation:   Duration(7 * 24 * time.Hour),
			MerchantReceipt:   Duration(10 * 24 * time.Hour),
			MerchantRefund:    Duration(7 * 24 * time.Hour),
			MerchantReship:    Duration(72 * time.Hour),
			BuyerConfirmation: Duration(10 * 24 * time.Hour),
			Negotiation:       Duration(24 * time.Hour),
			Evidence:          Duration(4 * time.Hour),
			RulingSLA:         Duration(72 * time.Hour),
			Appeal:            Duration(7 * 24 * time.Hour),
		},
		NoReasonDays:         7,
		CompensationMultiple: 10,
		MaxAmount:            DefaultMaxAmount,
		VagueWords:           []string{"尽快", "一般", "马上", "稍后", "soon", "asap", "as soon as possible", "shortly"},
		Penalties: Penalties{
			MerchantResponseExpired: 2,
			ReshipOrRefundExpired:   3,
			NoEvidence:              4,
			MerchantLiability:       6,
			SharedLiability:         3,
			Counterfeit:             12,
			VagueMessage:            1,
			ReviewThreshold:         12,
			WindowDays:              365,
		},
	}
	if err := p.compile(); err != nil {
		panic(fmt.Sprintf("default policy is invalid: %v", err)) // a programming error, caught by tests
	}
	return p
}

// ErrInvalidPolicy is returned (wrapped) by Parse and Validate for a policy that cannot be used.
var ErrInvalidPolicy = errors.New("invalid policy")

// Parse reads a policy from JSON. Fields left out keep Default()'s values;
// unknown fields are an error, so a typo never silently falls back to a default.
func Parse(data []byte) (Policy, error) {
	p := Default()
	p.VagueWords = nil
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return Policy{}, fmt.Errorf("parse policy: %w: %v", ErrInvalidPolicy, err)
	}
	if !events.NothingAfter(dec, data) {
		return Policy{}, fmt.Errorf("parse policy: %w: trailing data after the JSON object", ErrInvalidPolicy)
	}
	if p.VagueWords == nil {
		p.VagueWords = Default().VagueWords
	}
	if err := p.compile(); err != nil {
		return Policy{}, err
	}
	return p, nil
}

// Validate reports the first problem that makes p unusable.
func (p *Policy) Validate() error {
	if strings.TrimSpace(p.Version) == "" {
		return fmt.Errorf("%w: version is empty", ErrInvalidPolicy)
	}
	for _, kind := range events.DeadlineKinds() {
		if d, _ := p.window(kind); d <= 0 {
			return fmt.Errorf("%w: window %s must be positive", ErrInvalidPolicy, kind)
		}
	}
	if p.NoReasonDays < 0 {
		return fmt.Errorf("%w: no_reason_days must not be negative", ErrInvalidPolicy)
	}
	if p.CompensationMultiple < 1 {
		return fmt.Errorf("%w: compensation_multiple must be at least 1", ErrInvalidPolicy)
	}
	if p.MaxAmount < 1 || p.MaxAmount > MaxSafeAmount/p.CompensationMultiple {
		return fmt.Errorf("%w: max_amount must be positive and its compensation multiple at most 2^53-1 (max_amount at most %d)",
			ErrInvalidPolicy, MaxSafeAmount/p.CompensationMultiple)
	}
	if p.Penalties.WindowDays < 1 || p.Penalties.ReviewThreshold < 1 {
		return fmt.Errorf("%w: penalty window_days and review_threshold must be positive", ErrInvalidPolicy)
	}
	for _, w := range p.VagueWords {
		if strings.TrimSpace(w) == "" {
			return fmt.Errorf("%w: empty vague word", ErrInvalidPolicy)
		}
	}
	if err := p.Calendar.Validate(); err != nil {
		return fmt.Errorf("%w: calendar: %w", ErrInvalidPolicy, err)
	}
	return nil
}

func (p *Policy) compile() error {
	if err := p.Validate(); err != nil {
		return err
	}
	cal, err := calendar.New(p.Calendar)
	if err != nil {
		return fmt.Errorf("%w: calendar: %w", ErrInvalidPolicy, err)
	}
	p.cal = cal
	p.addr = newAddress(*p)
	return nil
}

// Canonical returns the policy's canonical document: the JSON encoding/json
// writes for Policy (every member, in declaration order, compact). Parse
// reads it back to the same policy, and two policies have the same
// canonical document exactly when they state the same rules, however the
// documents they were parsed from were spelled or which defaults they left
// out.
//
// Unlike the other methods, whose pointer receivers spare verify's replay
// a 344-byte copy per call, Canonical takes a copy on purpose: it
// normalises the copy's lists before encoding (TestCanonicalLeavesPolicy).
func (p Policy) Canonical() []byte {
	// A list left empty reads back the same whether written as null or [];
	// write it one way, so that it hashes one way.
	for _, list := range []*[]string{&p.VagueWords, &p.Calendar.Holidays, &p.Calendar.MakeupWorkdays} {
		if len(*list) == 0 {
			*list = []string{}
		}
	}
	b, err := json.Marshal(p)
	if err != nil {
		// Strings, integers, string slices and durations only: cannot fail.
		panic(fmt.Sprintf("policy %s: marshal: %v", p.Version, err))
	}
	return b
}

// BusinessCalendar returns the compiled business calendar.
func (p *Policy) BusinessCalendar() *calendar.Calendar { return p.cal }

func (p *Policy) window(kind events.DeadlineKind) (d time.Duration, workingTime bool) {
	w := p.Windows
	switch kind {
	case events.DeadlineMerchantResponse:
		return time.Duration(w.MerchantResponse), false
	case events.DeadlineReturnShipment:
		return time.Duration(w.ReturnShipment), false
	case events.DeadlineBuyerEscalation:
		return time.Duration(w.BuyerEscalation), false
	case events.DeadlineMerchantReceipt:
		return time.Duration(w.MerchantReceipt), false
	case events.DeadlineMerchantRefund:
		return time.Duration(w.MerchantRefund), false
	case events.DeadlineMerchantReship:
		return time.Duration(w.MerchantReship), false
	case events.DeadlineBuyerConfirmation:
		return time.Duration(w.BuyerConfirmation), false
	case events.DeadlineNegotiation:
		return time.Duration(w.Negotiation), false
	case events.DeadlineEvidence:
		return time.Duration(w.Evidence), true
	case events.DeadlineRulingSLA:
		return time.Duration(w.RulingSLA), false
	case events.DeadlineAppeal:
		return time.Duration(w.Appeal), false
	}
	return 0, false
}

// CountsWorkingTime reports whether a deadline of kind runs in working time
// on the business calendar rather than clock time.
func (p *Policy) CountsWorkingTime(kind events.DeadlineKind) bool {
	_, working := p.window(kind)
	return working
}

// DueAt returns when a deadline of kind started at start falls due, in UTC.
func (p *Policy) DueAt(kind events.DeadlineKind, start time.Time) time.Time {
	d, working := p.window(kind)
	if working {
		return p.cal.AddWorkingTime(start, d).UTC()
	}
	return start.Add(d).UTC()
}

// Schedule returns an events.Schedule starting the given deadlines at start,
// stamped with this policy's version and content address.
func (p *Policy) Schedule(start time.Time, kinds ...events.DeadlineKind) events.Schedule {
	s := events.Schedule{PolicyVersion: p.Version, PolicySHA256: p.SHA256(), Deadlines: make([]events.ScheduledDeadline, 0, len(kinds))}
	for _, k := range kinds {
		s.Deadlines = append(s.Deadlines, events.ScheduledDeadline{Kind: k, DueAt: p.DueAt(k, start)})
	}
	return s
}

// NoReasonDeadline is the last instant a no-reason return may be requested
// for goods delivered at delivered: the end of the NoReasonDays-th day after
// the delivery day, in the calendar's zone.
func (p *Policy) NoReasonDeadline(delivered time.Time) time.Time {
	return p.cal.EndOfDay(delivered, p.NoReasonDays).UTC()
}

// VagueWordsIn returns the vague-deadline words that text contains,
// case-insensitively, in policy order: a word is found when
// strings.ToLower(text) contains strings.ToLower(word).
//
// Verify re-decides every message, so the lower-cased copies are built in
// stack buffers (appendLower) rather than by strings.ToLower, which
// allocated a copy of every message with an upper-case letter in it.
func (p *Policy) VagueWordsIn(text string) []string {
	var textBuf [256]byte
	lower := appendLower(textBuf[:0], text)
	var found []string
	for _, w := range p.VagueWords {
		var wordBuf [64]byte
		if bytes.Contains(lower, appendLower(wordBuf[:0], w)) {
			found = append(found, w)
		}
	}
	return found
}

// appendLower appends strings.ToLower(s) to b: every rune mapped by
// unicode.ToLower, every byte that is not UTF-8 written as U+FFFD, as
// strings.Map does (TestVagueWordsInMatchesLowerContains).
func appendLower(b []byte, s string) []byte {
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			b = append(b, c)
			i++
			continue
		}
		if isCaselessCJK(s[i:]) {
			b = append(b, s[i:i+3]...)
			i += 3
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		b = utf8.AppendRune(b, unicode.ToLower(r))
		i += size
	}
	return b
}

// isCaselessCJK reports whether s starts with a rune in U+3000–U+9FFF (CJK
// punctuation, kana, ideographs): lead byte E3–E9 and two continuation
// bytes, always a valid encoding. No rune there has a lower case
// (TestCJKIsCaseless), so appendLower copies it without the case-table
// search that unicode.ToLower makes for every other non-ASCII rune.
func isCaselessCJK(s string) bool {
	return len(s) >= 3 && s[0] >= 0xE3 && s[0] <= 0xE9 && s[1]&0xC0 == 0x80 && s[2]&0xC0 == 0x80
}
