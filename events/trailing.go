package events

import (
	"bytes"
	"encoding/json"
)

// NothingAfter reports whether data holds nothing but JSON whitespace past
// what dec, reading data, has decoded so far: the check that a strict
// decoder read exactly one value. Decoder.More is not that check: it
// reports no further value before a stray ']' or '}', so `{}]` would pass.
func NothingAfter(dec *json.Decoder, data []byte) bool {
	return len(bytes.TrimLeft(data[dec.InputOffset():], " \t\r\n")) == 0
}
