package commands

import (
	"fmt"
	"strings"
	"testing"
)

// TestRawTokensAcrossTheNestingRoom: the token walk keeps its first 16
// levels in an array and the rest in a slice (690dab6). Around and past
// that boundary, in lists, objects and both alternated, closed rightly,
// closed by the wrong bracket, left open, closed once too often, with a
// bad string at the bottom and with one after the deep part, the raw check
// refuses exactly what the walk on Decoder.Token refuses, for every target.
func TestRawTokensAcrossTheNestingRoom(t *testing.T) {
	t.Parallel()
	open := map[string]func(d int) (string, string){
		"lists": func(d int) (string, string) { return strings.Repeat("[", d), strings.Repeat("]", d) },
		"objects": func(d int) (string, string) {
			return strings.Repeat(`{"text":`, d), strings.Repeat("}", d)
		},
		"alternated": func(d int) (string, string) {
			var o, c strings.Builder
			for i := range d {
				if i%2 == 0 {
					o.WriteString(`{"items":`)
				} else {
					o.WriteString("[")
				}
			}
			for i := d - 1; i >= 0; i-- {
				if i%2 == 0 {
					c.WriteString("}")
				} else {
					c.WriteString("]")
				}
			}
			return o.String(), c.String()
		},
	}
	var inputs []string
	for name, nest := range open {
		for _, d := range []int{1, 2, 15, 16, 17, 18, 31, 32, 33, 34, 40} {
			o, c := nest(d)
			for _, bottom := range []string{`"x"`, "\"\xff\"", `"\ud800"`, `1`, `null`, ``} {
				inputs = append(inputs,
					o+bottom+c,            // closed rightly
					o+bottom+c[:len(c)-1], // left open
					o+bottom+c+"]",        // closed once too often
					o+bottom+c+"}",        //
					o+bottom+strings.NewReplacer("]", "}", "}", "]").Replace(c), // closed by the wrong brackets
					o+bottom+c[:len(c)/2]+`,"a\x01"`+c[len(c)/2:],               // a bad string after the deep part
				)
			}
			// Down past the boundary, back up above it, and down again.
			o2, c2 := nest(d / 2)
			inputs = append(inputs, o+`1`+c[:len(c)/2]+`,`+o2+"\"\xff\""+c2+c[len(c)/2:])
			_ = name
		}
	}
	targets := rawCheckTargets()
	for _, raw := range inputs {
		for _, target := range targets {
			got, want := checkRawStrings("data", []byte(raw), target), checkRawStringsByDecoderToken("data", []byte(raw), target)
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("%v on %q: rawTokens: %v; Decoder.Token: %v", target, raw, got, want)
			}
		}
	}
}
