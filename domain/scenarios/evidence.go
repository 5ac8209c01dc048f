package scenarios

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"github.com/disputes-ledger/disputes/events"
)

// evidenceItem describes one evidence file. The ledger keeps only the file's
// SHA-256; here the digest is that of a stand-in content derived from the
// file's address, so it is real hex and differs for every file.
func evidenceItem(ticketID, id, kind, file, description string) events.EvidenceItem {
	uri := fmt.Sprintf("oss://disputes-evidence/%s/%s", ticketID, file)
	sum := sha256.Sum256([]byte("evidence file " + uri))
	return events.EvidenceItem{ID: id, Kind: kind, Description: description, SHA256: hex.EncodeToString(sum[:]), URI: uri}
}
