package policy_test

import (
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/domain/policy"
	"github.com/disputes-ledger/disputes/events"
)

// update rewrites the example policy file from Default():
//
//	go test ./policy/ -run TestDefaultPolicyFile -update
var update = flag.Bool("update", false, "rewrite testdata/policy/default.json from Default()")

const defaultFile = "../../testdata/policy/default.json"

var shanghai = time.FixedZone("Asia/Shanghai", 8*3600)

func TestDefaultValidates(t *testing.T) {
	t.Parallel()
	p := policy.Default()
	require.NoError(t, p.Validate())
	assert.Equal(t, policy.DefaultVersion, p.Version)
	require.NotNil(t, p.BusinessCalendar(), "Default compiles its calendar")
	assert.Equal(t, "Asia/Shanghai", p.BusinessCalendar().Location().String())
	assert.Equal(t, int64(10), p.CompensationMultiple, "假一赔十")
	assert.Equal(t, 7, p.NoReasonDays)
}

// TestDefaultPolicyFile pins the example policy file shipped for operators
// and checks that it parses back to Default().
func TestDefaultPolicyFile(t *testing.T) {
	got, err := json.MarshalIndent(policy.Default(), "", "  ")
	require.NoError(t, err)
	got = append(got, '\n')
	if *update {
		require.NoError(t, os.MkdirAll(filepath.Dir(defaultFile), 0o755))
		require.NoError(t, os.WriteFile(defaultFile, got, 0o644))
	}
	want, err := os.ReadFile(defaultFile)
	require.NoError(t, err, "create it with: go test ./policy/ -run TestDefaultPolicyFile -update")
	assert.Equal(t, string(want), string(got))

	parsed, err := policy.Parse(want)
	require.NoError(t, err)
	assert.Equal(t, policy.Default(), parsed)
}

func TestParseKeepsDefaults(t *testing.T) {
	t.Parallel()
	def := policy.Default()
	p, err := policy.Parse([]byte(`{"version": "2027-01-fast", "windows": {"merchant_response": "48h"}, "calendar": {"holidays": ["2026-11-11"]}}`))
	require.NoError(t, err)
	assert.Equal(t, "2027-01-fast", p.Version)
	assert.Equal(t, policy.Duration(48*time.Hour), p.Windows.MerchantResponse)

	// Everything not in the file is Default()'s.
	want := def.Windows
	want.MerchantResponse = policy.Duration(48 * time.Hour)
	assert.Equal(t, want, p.Windows)
	assert.Equal(t, def.Penalties, p.Penalties)
	assert.Equal(t, def.VagueWords, p.VagueWords)
	assert.Equal(t, def.NoReasonDays, p.NoReasonDays)
	assert.Equal(t, def.CompensationMultiple, p.CompensationMultiple)
	wantCal := def.Calendar
	wantCal.Holidays = []string{"2026-11-11"}
	assert.Equal(t, wantCal, p.Calendar)

	// The parsed calendar is compiled and used: the holiday is a day off.
	wednesday := time.Date(2026, 11, 11, 10, 0, 0, 0, shanghai)
	assert.False(t, p.BusinessCalendar().IsWorkingDay(wednesday))
	assert.Equal(t, time.Date(2026, 11, 12, 13, 0, 0, 0, shanghai).UTC(), p.DueAt(events.DeadlineEvidence, wednesday))
}

func TestParseEmptyIsDefault(t *testing.T) {
	t.Parallel()
	p, err := policy.Parse([]byte(`{}`))
	require.NoError(t, err)
	assert.Equal(t, policy.Default(), p)
}

func TestParseVagueWordsReplaceDefaults(t *testing.T) {
	t.Parallel()
	p, err := policy.Parse([]byte(`{"vague_words": ["回头", "later"]}`))
	require.NoError(t, err)
	assert.Equal(t, []string{"回头", "later"}, p.VagueWords)
	assert.Equal(t, []string{"回头"}, p.VagueWordsIn("回头给你发"))
	assert.Empty(t, p.VagueWordsIn("尽快发货"), "the default list no longer applies")
}

func TestParseRefuses(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		json string
	}{
		{"unknown field", `{"versoin": "x"}`},
		{"unknown nested field", `{"windows": {"merchant_respons": "48h"}}`},
		{"unknown calendar field", `{"calendar": {"timezone": "UTC"}}`},
		{"duration without unit", `{"windows": {"appeal": "168"}}`},
		{"duration as a number", `{"windows": {"appeal": 604800}}`},
		{"duration nonsense", `{"windows": {"evidence": "four hours"}}`},
		{"negative window", `{"windows": {"negotiation": "-24h"}}`},
		{"zero window", `{"windows": {"ruling_sla": "0s"}}`},
		{"empty version", `{"version": "  "}`},
		{"compensation below one", `{"compensation_multiple": 0}`},
		{"negative no-reason days", `{"no_reason_days": -1}`},
		{"empty vague word", `{"vague_words": ["尽快", " "]}`},
		{"no penalty window", `{"penalties": {"window_days": 0}}`},
		{"workday ends before it starts", `{"calendar": {"workday_start": "18:00", "workday_end": "09:00"}}`},
		{"bad holiday", `{"calendar": {"holidays": ["2026-13-01"]}}`},
		{"not JSON", `version: x`},
		{"wrong type", `{"no_reason_days": "seven"}`},
		{"trailing data", `{"version": "a"} garbage`},
		{"trailing bracket", `{"version": "a"}]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := policy.Parse([]byte(tt.json))
			require.Error(t, err)
			assert.True(t, errors.Is(err, policy.ErrInvalidPolicy), "got %v", err)
		})
	}
}

func TestValidateRefuses(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		edit func(*policy.Policy)
	}{
		{"no version", func(p *policy.Policy) { p.Version = "" }},
		{"zero evidence window", func(p *policy.Policy) { p.Windows.Evidence = 0 }},
		{"negative appeal window", func(p *policy.Policy) { p.Windows.Appeal = policy.Duration(-time.Hour) }},
		{"no review threshold", func(p *policy.Policy) { p.Penalties.ReviewThreshold = 0 }},
		{"calendar without zone", func(p *policy.Policy) { p.Calendar.TimeZone = "" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := policy.Default()
			tt.edit(&p)
			assert.ErrorIs(t, p.Validate(), policy.ErrInvalidPolicy)
		})
	}
}

func TestDurationJSON(t *testing.T) {
	t.Parallel()
	b, err := json.Marshal(policy.Duration(72 * time.Hour))
	require.NoError(t, err)
	assert.Equal(t, `"72h0m0s"`, string(b))
	var d policy.Duration
	require.NoError(t, json.Unmarshal([]byte(`"4h30m"`), &d))
	assert.Equal(t, policy.Duration(4*time.Hour+30*time.Minute), d)
	assert.Error(t, json.Unmarshal([]byte(`"4 hours"`), &d))
	assert.Error(t, json.Unmarshal([]byte(`240`), &d))
}

// TestDueAtClock checks every clock-time window: start plus the window,
// whatever the weekday or hour, returned in UTC.
func TestDueAtClock(t *testing.T) {
	t.Parallel()
	p := policy.Default()
	start := time.Date(2026, 11, 6, 17, 0, 0, 0, shanghai) // a Friday evening
	tests := []struct {
		kind events.DeadlineKind
		want time.Duration
	}{
		{events.DeadlineMerchantResponse, 72 * time.Hour},
		{events.DeadlineReturnShipment, 7 * 24 * time.Hour},
		{events.DeadlineBuyerEscalation, 7 * 24 * time.Hour},
		{events.DeadlineMerchantReceipt, 10 * 24 * time.Hour},
		{events.DeadlineMerchantRefund, 7 * 24 * time.Hour},
		{events.DeadlineMerchantReship, 72 * time.Hour},
		{events.DeadlineBuyerConfirmation, 10 * 24 * time.Hour},
		{events.DeadlineNegotiation, 24 * time.Hour},
		{events.DeadlineRulingSLA, 72 * time.Hour},
		{events.DeadlineAppeal, 7 * 24 * time.Hour},
	}
	require.Len(t, tests, len(events.DeadlineKinds())-1, "every kind but evidence is clock time")
	for _, tt := range tests {
		t.Run(string(tt.kind), func(t *testing.T) {
			due := p.DueAt(tt.kind, start)
			assert.Equal(t, start.Add(tt.want).UTC(), due)
			assert.Equal(t, time.UTC, due.Location())
		})
	}
}

// TestDueAtEvidence checks the 4 working hours on the Shanghai calendar.
func TestDueAtEvidence(t *testing.T) {
	t.Parallel()
	p := policy.Default()
	at := func(day, hh, mm int) time.Time { return time.Date(2026, 11, day, hh, mm, 0, 0, shanghai) }
	tests := []struct {
		name        string
		start, want time.Time
	}{
		{"Friday 17:00 runs over the weekend", at(6, 17, 0), at(9, 12, 0)},
		{"Monday morning, same day", at(2, 10, 0), at(2, 14, 0)},
		{"before the workday starts", at(2, 7, 30), at(2, 13, 0)},
		{"ends exactly at closing time", at(2, 14, 0), at(2, 18, 0)},
		{"late afternoon, into the next day", at(3, 16, 30), at(4, 11, 30)},
		{"after hours", at(4, 20, 0), at(5, 13, 0)},
		{"on a Saturday", at(7, 11, 0), at(9, 13, 0)},
		{"Sunday night", at(8, 23, 59), at(9, 13, 0)},
		{"given in UTC", at(6, 17, 0).UTC(), at(9, 12, 0)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			due := p.DueAt(events.DeadlineEvidence, tt.start)
			assert.Equal(t, tt.want.UTC(), due)
			assert.Equal(t, time.UTC, due.Location())
		})
	}
}

func TestNoReasonDeadline(t *testing.T) {
	t.Parallel()
	p := policy.Default()
	endOf8th := time.Date(2026, 11, 8, 23, 59, 59, 999_999_999, shanghai).UTC()
	tests := []struct {
		name      string
		delivered time.Time
		want      time.Time
	}{
		{"signed on the 1st in the afternoon", time.Date(2026, 11, 1, 15, 0, 0, 0, shanghai), endOf8th},
		{"signed just after midnight on the 1st", time.Date(2026, 11, 1, 0, 30, 0, 0, shanghai), endOf8th},
		{"signed at the last instant of the 1st", time.Date(2026, 11, 1, 23, 59, 59, 0, shanghai), endOf8th},
		{"the 1st in Shanghai is still October 31st in UTC", time.Date(2026, 10, 31, 16, 30, 0, 0, time.UTC), endOf8th},
		{"across a month end", time.Date(2026, 11, 28, 9, 0, 0, 0, shanghai), time.Date(2026, 12, 5, 23, 59, 59, 999_999_999, shanghai).UTC()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := p.NoReasonDeadline(tt.delivered)
			assert.Equal(t, tt.want, got)
			assert.Equal(t, time.UTC, got.Location())
		})
	}
}

func TestVagueWordsIn(t *testing.T) {
	t.Parallel()
	p := policy.Default()
	tests := []struct {
		text string
		want []string
	}{
		{"亲，我们会尽快处理的", []string{"尽快"}},
		{"一般三天内，马上安排", []string{"一般", "马上"}},
		{"稍后回复您", []string{"稍后"}},
		{"We'll ship it ASAP", []string{"asap"}},
		{"SOON!", []string{"soon"}},
		{"We will reply Shortly.", []string{"shortly"}},
		{"As Soon As Possible", []string{"soon", "as soon as possible"}},
		{"明天18:00前发货。Shipping by 18:00 tomorrow.", nil},
		{"", nil},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			assert.Equal(t, tt.want, p.VagueWordsIn(tt.text))
		})
	}
}

func TestSchedule(t *testing.T) {
	t.Parallel()
	p, err := policy.Parse([]byte(`{"version": "2027-03-ops"}`))
	require.NoError(t, err)
	start := time.Date(2026, 11, 6, 17, 0, 0, 0, shanghai)
	s := p.Schedule(start, events.DeadlineNegotiation, events.DeadlineEvidence, events.DeadlineRulingSLA)
	assert.Equal(t, "2027-03-ops", s.PolicyVersion)
	assert.Equal(t, []events.ScheduledDeadline{
		{Kind: events.DeadlineNegotiation, DueAt: p.DueAt(events.DeadlineNegotiation, start)},
		{Kind: events.DeadlineEvidence, DueAt: time.Date(2026, 11, 9, 12, 0, 0, 0, shanghai).UTC()},
		{Kind: events.DeadlineRulingSLA, DueAt: start.Add(72 * time.Hour).UTC()},
	}, s.Deadlines)

	empty := p.Schedule(start)
	assert.Equal(t, "2027-03-ops", empty.PolicyVersion, "even a schedule with no deadline records the policy")
	b, err := json.Marshal(empty)
	require.NoError(t, err)
	assert.JSONEq(t, `{"policy_version":"2027-03-ops","policy_sha256":"`+p.SHA256()+`","deadlines":[]}`, string(b), "an empty list, not null, on the wire")
}

func TestCanonicalDocument(t *testing.T) {
	t.Parallel()
	def := policy.Default()
	parsed, err := policy.Parse(def.Canonical())
	require.NoError(t, err)
	assert.Equal(t, string(def.Canonical()), string(parsed.Canonical()), "Parse reads the canonical document back")
	assert.Equal(t, def.CompensationMultiple, parsed.CompensationMultiple)
	assert.Equal(t, def.SHA256(), parsed.SHA256())
	assert.Regexp(t, `^[0-9a-f]{64}$`, def.SHA256())

	// Spelling does not change the address: indentation, member order,
	// defaults left out, an empty list as null or [].
	indented, err := json.MarshalIndent(def, "", "  ")
	require.NoError(t, err)
	for _, doc := range []string{
		string(indented),
		`{"version":"` + def.Version + `"}`,
		`{"calendar":{"holidays":null},"version":"` + def.Version + `"}`,
		`{"calendar":{"holidays":[]},"version":"` + def.Version + `"}`,
	} {
		p, err := policy.Parse([]byte(doc))
		require.NoError(t, err)
		assert.Equal(t, def.SHA256(), p.SHA256(), "%s", doc)
	}

	// Any change of a rule does (finding 5 of issue 12: 假一赔十 → 假一赔三).
	for _, doc := range []string{
		`{"version":"` + def.Version + `","compensation_multiple":3}`,
		`{"version":"` + def.Version + `","windows":{"appeal":"168h1s"}}`,
		`{"version":"` + def.Version + `","vague_words":[]}`,
		`{"version":"` + def.Version + `","calendar":{"holidays":["2026-11-11"]}}`,
		`{"version":"other"}`,
	} {
		p, err := policy.Parse([]byte(doc))
		require.NoError(t, err)
		assert.NotEqual(t, def.SHA256(), p.SHA256(), "%s", doc)
	}
}
