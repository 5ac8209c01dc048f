package bundle

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/disputes-ledger/disputes/audit"
	"github.com/disputes-ledger/disputes/audit/merkle"
	"github.com/disputes-ledger/disputes/audit/seal"
)

// Format is the value of the header's format member.
const Format = "disputes-bundle/1"

// Record kinds, the "kind" member of every line.
const (
	KindHeader      = "header"
	KindPublicKey   = "public_key"
	KindPolicy      = "policy"
	KindSeal        = "seal"
	KindConsistency = "consistency"
	KindEvent       = "event"
)

// Scope kinds.
const (
	ScopeAll      = "all"
	ScopeTicket   = "ticket"
	ScopeMerchant = "merchant"
	ScopeRange    = "range"
)

// Scope says which events a bundle holds. Partial scopes always hold whole
// ticket streams, so that every chain and ruling can be checked from the
// ticket's first event: a ticket, a merchant's tickets, or every ticket
// with at least one event in [From, To).
type Scope struct {
	Kind     string     `json:"kind"`
	Ticket   string     `json:"ticket,omitempty"`
	Merchant string     `json:"merchant,omitempty"`
	From     *time.Time `json:"from,omitempty"`
	To       *time.Time `json:"to,omitempty"`
}

// ErrScope is returned (wrapped) for a scope that selects nothing sensible.
var ErrScope = errors.New("invalid bundle scope")

// Validate reports a scope with missing or contradictory fields.
func (s Scope) Validate() error {
	switch s.Kind {
	case ScopeAll:
		if s.Ticket != "" || s.Merchant != "" || s.From != nil || s.To != nil {
			return fmt.Errorf("%w: scope all takes no ticket, merchant or times", ErrScope)
		}
	case ScopeTicket:
		if s.Ticket == "" || s.Merchant != "" || s.From != nil || s.To != nil {
			return fmt.Errorf("%w: scope ticket takes a ticket id and nothing else", ErrScope)
		}
	case ScopeMerchant:
		if s.Merchant == "" || s.Ticket != "" || s.From != nil || s.To != nil {
			return fmt.Errorf("%w: scope merchant takes a merchant id and nothing else", ErrScope)
		}
	case ScopeRange:
		if s.From == nil || s.To == nil || !s.From.Before(*s.To) || s.Ticket != "" || s.Merchant != "" {
			return fmt.Errorf("%w: scope range takes from < to and nothing else", ErrScope)
		}
	default:
		return fmt.Errorf("%w: kind %q is not all, ticket, merchant or range", ErrScope, s.Kind)
	}
	return nil
}

// Complete reports whether the scope is the whole log.
func (s Scope) Complete() bool { return s.Kind == ScopeAll }

// String is the scope for a report, e.g. "merchant m-7".
func (s Scope) String() string {
	switch s.Kind {
	case ScopeTicket:
		return "ticket " + s.Ticket
	case ScopeMerchant:
		return "merchant " + s.Merchant
	case ScopeRange:
		if s.From != nil && s.To != nil {
			return fmt.Sprintf("tickets active in [%s, %s)", s.From.UTC().Format(time.RFC3339), s.To.UTC().Format(time.RFC3339))
		}
	}
	return s.Kind
}

// Header is the first line of a bundle.
type Header struct {
	Kind      string    `json:"kind"`
	Format    string    `json:"format"`
	CreatedAt time.Time `json:"created_at"`
	Scope     Scope     `json:"scope"`
	// Complete is true when the bundle holds every event from position 1 to
	// LogSize.
	Complete bool `json:"complete"`
	// LogSize is the last position of the log when it was exported.
	LogSize uint64 `json:"log_size"`
	// Events and Tickets count the event lines and the tickets they belong to.
	Events  int `json:"events"`
	Tickets int `json:"tickets"`
}

// PublicKey is the seal key the ledger says it signs with. Auditors should
// pin the key they obtained out of band instead of trusting this line.
type PublicKey struct {
	Kind    string `json:"kind"`
	KeyID   string `json:"key_id"`
	Ed25519 []byte `json:"ed25519"` // the 32 raw public key bytes, base64 in JSON
}

// Policy is one policy version, complete, as policy.Parse reads it.
type Policy struct {
	Kind    string          `json:"kind"`
	Version string          `json:"version"`
	Policy  json.RawMessage `json:"policy"`
}

// Seal is one stored seal; its members are seal.Seal's.
type Seal struct {
	Kind string `json:"kind"`
	seal.Seal
}

// Consistency proves the seal of size From is a prefix of the seal of size To.
type Consistency struct {
	Kind   string        `json:"kind"`
	From   uint64        `json:"from"`
	To     uint64        `json:"to"`
	Hashes []merkle.Hash `json:"hashes"`
}

// Event is one event of the log. Data is the stored envelope as JSON; Raw
// carries it instead, base64, if the stored bytes are not valid JSON (a
// damaged ledger still exports, for the verifier to report). Columns are
// the id, stream, revision and type the ledger stored the event under,
// present only when they disagree with the bytes (the verifier reports
// them); otherwise the bytes say what they are.
type Event struct {
	Kind     string                `json:"kind"`
	Position uint64                `json:"position"`
	Proof    *audit.InclusionProof `json:"proof,omitempty"`
	Columns  *audit.Columns        `json:"columns,omitempty"`
	Data     json.RawMessage       `json:"data,omitempty"`
	Raw      []byte                `json:"raw,omitempty"`
}
