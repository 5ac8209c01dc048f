package policy_test

import (
	"math/rand/v2"
	"strings"
	"testing"
	"unicode"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/domain/policy"
)

// vagueReference is what VagueWordsIn has always meant: a word is found when
// the lower-cased text contains the lower-cased word (strings.ToLower, with
// its Unicode case mapping and invalid UTF-8 read as U+FFFD).
func vagueReference(words []string, text string) []string {
	var found []string
	for _, w := range words {
		if strings.Contains(strings.ToLower(text), strings.ToLower(w)) {
			found = append(found, w)
		}
	}
	return found
}

// TestVagueWordsInEdges pins the matching rules where a case-insensitive
// search most easily drifts: words at either edge, Unicode case (full-width,
// Greek, Turkish dotted I, whose lower case is shorter), invalid UTF-8, and
// a word that is itself upper case.
func TestVagueWordsInEdges(t *testing.T) {
	t.Parallel()
	p := policy.Policy{VagueWords: []string{"soon", "尽快", "ＡＳＡＰ", "σ", "İst", "\uFFFD", "Later", "x"}}
	tests := []struct {
		text string
		want []string
	}{
		{"soon", []string{"soon"}},
		{"SOON", []string{"soon"}},
		{"sOoN尽快", []string{"soon", "尽快"}},
		{"尽快sooN", []string{"soon", "尽快"}},
		{"so on", nil},
		{"请ａｓａｐ处理", []string{"ＡＳＡＰ"}},
		{"请ＡｓＡｐ处理", []string{"ＡＳＡＰ"}},
		{"ΣΟΣ", []string{"σ"}},
		{"ς", nil},                    // final sigma has no upper-case partner to fold to σ
		{"İstanbul", []string{"İst"}}, // İ lowers to a one-byte i
		{"ISTANBUL", []string{"İst"}},
		{"ıstanbul", nil}, // dotless ı is its own letter
		{"bad \xff byte", []string{"\uFFFD"}},
		{"real \uFFFD", []string{"\uFFFD"}},
		{"LATER", []string{"Later"}},
		{"later", []string{"Later"}},
		{"X", []string{"x"}},
		{"", nil},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			require.Equal(t, tt.want, vagueReference(p.VagueWords, tt.text), "the table states the reference")
			assert.Equal(t, tt.want, p.VagueWordsIn(tt.text))
		})
	}
}

// TestVagueWordsInMatchesLowerContains checks VagueWordsIn against the
// reference on random texts built from ASCII, CJK, full-width and other
// cased letters, invalid bytes and the words themselves.
func TestVagueWordsInMatchesLowerContains(t *testing.T) {
	t.Parallel()
	def := policy.Default()
	odd := policy.Policy{VagueWords: []string{"Soon", "ＡＳＡＰ", "σ", "i̇", "\uFFFD", "ǅ", "ß", "K"}}
	pieces := []string{"a", "S", "o", "N", " ", "尽", "快", "马上", "ASAP", "as soon as ", "possible",
		"ＡＳ", "ａｐ", "Σ", "ς", "İ", "i", "\u0307", "\xff", "\xe5\xb0", "ǅ", "ǆ", "Ǆ", "ß", "ẞ", "\u212a", "k", "，", "。"}
	r := rand.New(rand.NewPCG(6, 18))
	for range 20000 {
		var b strings.Builder
		for range r.IntN(12) {
			b.WriteString(pieces[r.IntN(len(pieces))])
		}
		text := b.String()
		for _, p := range []policy.Policy{def, odd} {
			require.Equal(t, vagueReference(p.VagueWords, text), p.VagueWordsIn(text), "text %q", text)
		}
	}
}

// BenchmarkVagueWordsIn runs the default policy over merchant messages as
// the generated ledgers write them (Chinese, then English), vague and not:
//
//	go test -run='^$' -bench=VagueWordsIn -benchmem ./domain/policy/
func BenchmarkVagueWordsIn(b *testing.B) {
	p := policy.Default()
	texts := []string{
		"已收到反馈，今天18:00前答复您。 Noted — we will reply by 18:00 today.",
		"仓库明天中午12点前核实后回复。 The warehouse will check and reply by noon tomorrow.",
		"请在48小时内寄回，运费我们承担。 Please send it back within 48 h; we cover shipping.",
		"亲，我们会尽快处理的。 We'll handle it ASAP.",
		"稍后给您回复。 We'll get back to you shortly.",
		"抱歉给您带来不便，来回运费由我们承担，收到退货后24小时内发出新品。Sorry about that — we pay shipping both ways and ship a new case within 24 h of receiving the return.",
	}
	b.ReportAllocs()
	for b.Loop() {
		for _, text := range texts {
			_ = p.VagueWordsIn(text)
		}
	}
}

// TestCJKIsCaseless backs appendLower's shortcut: every rune it copies
// without looking it up lower-cases to itself.
func TestCJKIsCaseless(t *testing.T) {
	t.Parallel()
	for r := rune(0x3000); r <= 0x9FFF; r++ {
		require.Equal(t, r, unicode.ToLower(r), "U+%04X", r)
		p := policy.Policy{VagueWords: []string{string(r)}}
		require.Equal(t, vagueReference(p.VagueWords, string(r)+"X"), p.VagueWordsIn(string(r)+"X"))
	}
}
