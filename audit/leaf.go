package audit

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/disputes-ledger/disputes/audit/merkle"
)

// LeafHash returns the Merkle leaf hash of an event whose envelope carries
// eventHash as its "hash" member: merkle.LeafHash of the 32 bytes that the 64
// hex digits encode. It returns an error wrapping merkle.ErrMalformedHash for
// anything but 64 hex digits.
func LeafHash(eventHash string) (merkle.Hash, error) {
	h, err := merkle.ParseHash(eventHash)
	if err != nil {
		return merkle.Hash{}, fmt.Errorf("leaf of event hash: %w", err)
	}
	return merkle.LeafHash(h[:]), nil
}

// hashSuffix is how every canonical envelope ends: the hash member, then '}'.
var hashSuffix = []byte(`,"hash":"`)

// StoredHash returns the "hash" member of an encoded envelope as stored,
// without checking it against the content (events.Decode does that). The
// common, canonical case is read from the end of the bytes; anything else is
// parsed as JSON. It returns false when no hash member can be found.
func StoredHash(data []byte) (string, bool) {
	const tail = 64 + len(`"}`)
	if n := len(data); n > tail+len(hashSuffix) &&
		bytes.Equal(data[n-tail-len(hashSuffix):n-tail], hashSuffix) && string(data[n-2:]) == `"}` {
		return string(data[n-tail : n-2]), true
	}
	var probe struct {
		Hash string `json:"hash"`
	}
	if err := json.Unmarshal(data, &probe); err != nil || probe.Hash == "" {
		return "", false
	}
	return probe.Hash, true
}

// LeafOf returns the leaf hash of an encoded envelope: LeafHash of its stored
// hash member.
func LeafOf(data []byte) (merkle.Hash, error) {
	h, ok := StoredHash(data)
	if !ok {
		return merkle.Hash{}, fmt.Errorf("leaf of event: no hash member: %w", merkle.ErrMalformedHash)
	}
	return LeafHash(h)
}
