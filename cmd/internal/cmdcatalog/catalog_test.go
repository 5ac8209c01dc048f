package main

import (
	"bytes"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/disputes-ledger/disputes/domain"
	"github.com/disputes-ledger/disputes/domain/policy"
)

// catalogueFile is docs/commands.md, from this package's directory.
const (
	catalogueFile = "../../../docs/commands.md"
	requiredFile  = "../../../edge/httpapi/required_gen.go"
)

// built is build, once for the package's tests.
var built = func() func() ([]byte, map[string]*behaviour, error) {
	var (
		once sync.Once
		doc  []byte
		seen map[string]*behaviour
		err  error
	)
	return func() ([]byte, map[string]*behaviour, error) {
		once.Do(func() { doc, seen, err = build() })
		return doc, seen, err
	}
}()

// TestCatalogueIsCurrent fails when docs/commands.md is not what the code
// generates: a command, a field, a bound, a role, a state or a refusal
// changed without `go generate ./cmd/disputes`.
func TestCatalogueIsCurrent(t *testing.T) {
	want, _, err := built()
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(catalogueFile)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(want, got) {
		t.Errorf("%s is stale: run go generate ./cmd/disputes", catalogueFile)
	}
	_, seen, _ := built()
	wantGo := requiredGo(requiredMembers(seen, policy.Default()))
	gotGo, err := os.ReadFile(requiredFile)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(wantGo, gotGo) {
		t.Errorf("%s is stale: run go generate ./cmd/disputes, then go test ./edge/httpapi -run TestOpenAPI -update", requiredFile)
	}
}

// TestCatalogueNamesEveryCommand: every registered command has its
// section, with the roles that may send it and where it is accepted; the
// explorer found each command accepted somewhere and refused somewhere.
func TestCatalogueNamesEveryCommand(t *testing.T) {
	doc, seen, err := built()
	if err != nil {
		t.Fatal(err)
	}
	for _, spec := range domain.Registry() {
		name := spec.Name()
		if !strings.Contains(string(doc), "\n## "+name+"\n") {
			t.Errorf("no section for %s", name)
		}
		if len(seen[name].acceptedIn) == 0 {
			t.Errorf("%s was never accepted: the explorer's samples cannot reach it", name)
		}
		if len(seen[name].refusals) == 0 {
			t.Errorf("%s was never refused", name)
		}
	}
	if !seen["open_ticket"].acceptedIn[domain.StatusNone] || seen["open_ticket"].acceptedIn[domain.StatusClosed] {
		t.Errorf("open_ticket is accepted where no ticket is, only: %v", seen["open_ticket"].acceptedIn)
	}
	for _, name := range []string{"rule", "decide_appeal", "file_appeal"} {
		if seen[name].acceptedIn[domain.StatusAwaitingMerchant] {
			t.Errorf("%s accepted while the merchant has not answered", name)
		}
	}
	required := requiredMembers(seen, policy.Default())
	for _, tc := range []struct {
		schema, member string
		want           bool
	}{
		{"Reject", "reason", true},            // validReject: "is required to reject"
		{"EvidenceItem", "sha256", true},      // validEvidence
		{"MakeOffer", "amount", false},        // a replacement offer carries none
		{"DecideAppeal", "terms", false},      // an upheld ruling keeps its terms
		{"Rule", "counterfeit", false},        // most rulings are not about fakes
		{"OpenTicket", "ticket_id", false},    // the handler takes the request's
		{"OpenTicket", "delivered_at", false}, // an order never shipped has none
		{"ConfirmReceipt", "problem", false},  // most returns arrive fine
	} {
		if got := slices.Contains(required[tc.schema], tc.member); got != tc.want {
			t.Errorf("%s.%s required: %v, want %v", tc.schema, tc.member, got, tc.want)
		}
	}
	if _, ok := seen["agree"].refusals["role_not_allowed"]; !ok {
		t.Error("a buyer's agree was not refused as role_not_allowed")
	}
}
