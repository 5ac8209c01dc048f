package events

import (
	"strconv"
	"testing"
)

// TestAppendQuotedIsAppendQuote: the printable-ASCII shortcut writes what
// strconv.AppendQuote writes, for the strings at its edges and any other.
func TestAppendQuotedIsAppendQuote(t *testing.T) {
	for _, s := range []string{"", "plain words", ` !#~`, `say "hi"`, `back\slash`, "tab\there", "new\nline",
		"\x7f", "\x1f", "caf\u00e9", "\u2026", "\xff", "emoji \U0001F600", "\u00a0nbsp", "a\u200bzero-width"} {
		if got, want := string(appendQuoted([]byte("x"), s)), string(strconv.AppendQuote([]byte("x"), s)); got != want {
			t.Errorf("appendQuoted(%q) = %s, want %s", s, got, want)
		}
	}
}

func FuzzAppendQuotedIsAppendQuote(f *testing.F) {
	for _, s := range []string{"", "plain", `"`, `\`, "\x00", "\x7e", "\x7f", "é"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := string(appendQuoted(nil, s)), strconv.Quote(s); got != want {
			t.Fatalf("appendQuoted(%q) = %s, want %s", s, got, want)
		}
	})
}
