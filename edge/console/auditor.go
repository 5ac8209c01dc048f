package console

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/disputes-ledger/disputes/audit"
	"github.com/disputes-ledger/disputes/audit/bundle"
	"github.com/disputes-ledger/disputes/edge/httpapi"
)

// auditBody is the auditor page's body.
type auditBody struct {
	TicketID    string
	Unavailable bool
	OK          bool
	Report      *audit.Report
	Events      []auditEvent
	Steps       []auditStep
	Seal        *bundle.Seal
	Pinned      bool
	Exported    time.Time
}

// auditEvent is one event of the ticket as the bundle carries it.
type auditEvent struct {
	Position uint64
	Revision uint64
	EventID  string
	Type     string
	Hash     string
	PrevHash string
	Proof    uint64 // the seal size its inclusion proof is against, 0 for none
	Failed   []audit.Check
}

// auditStep is one step of the verification and its result.
type auditStep struct {
	Name     words
	What     string
	OK       bool
	Findings []audit.Finding
	Notes    []string
}

// stepChecks groups the verifier's checks into the steps the page shows,
// in the order an auditor walks them. Checks not named here belong to the
// last step, the rules decided again.
var stepChecks = []struct {
	name   words
	what   string
	checks []audit.Check
}{
	{words{"事件哈希", "Event hashes"}, "each event's SHA-256 recomputed from its canonical bytes and compared with the hash it carries",
		[]audit.Check{audit.CheckEventHash, audit.CheckColumnMismatch, audit.CheckOutsideLog, audit.CheckBundleFormat}},
	{words{"哈希链", "Hash chain"}, "each event's prev_hash is the hash of the ticket's event before it, revisions without gaps, opened by a request",
		[]audit.Check{audit.CheckChain, audit.CheckTicketOpen, audit.CheckLogGap, audit.CheckLogOrder}},
	{words{"封印签名与密钥", "Seal signatures and key"}, "every seal's Ed25519 signature checked with the pinned key; later seals extend earlier ones",
		[]audit.Check{audit.CheckSealSignature, audit.CheckPublicKey, audit.CheckKeyNotPinned, audit.CheckSealConsistency, audit.CheckSealMissing,
			audit.CheckCheckpointSignature, audit.CheckRollback, audit.CheckFork}},
	{words{"纳入最新封印", "Inclusion in the newest seal"}, "each event's Merkle inclusion proof recomputed up to the signed root of the newest seal",
		[]audit.Check{audit.CheckInclusion, audit.CheckSealRoot}},
	{words{"规则复核", "Rules decided again"}, "every decision decided again by the domain under the policy version it recorded, and compared", nil},
}

// exportTicket writes ticket id's bundle: its events with inclusion proofs,
// every seal, the key and the policies its events name. When ok is false it
// has answered already: not found for a ticket with no events, or a failure.
func (c *Console) exportTicket(w http.ResponseWriter, r *http.Request, id string) (b []byte, ok bool) {
	a := c.cfg.Audit
	src := bundle.Source{Log: a.Log, Seals: a.Seals, Policies: a.Policies, PublicKey: a.PublicKey}
	var buf bytes.Buffer
	sum, err := bundle.Export(r.Context(), &buf, src, bundle.Scope{Kind: bundle.ScopeTicket, Ticket: id}, c.cfg.Now())
	if errors.Is(err, bundle.ErrNothingToExport) || err == nil && sum.Events == 0 {
		c.notFound(w, r, nil)
		return nil, false
	}
	if err != nil {
		c.failed(w, r, err)
		return nil, false
	}
	return buf.Bytes(), true
}

// auditPage is GET /console/audit/{id}: the ticket's bundle exported and
// verified in front of the auditor, step by step. It is for the roles that
// read every ticket; it reads the raw log, so a damaged ledger is shown,
// not refused.
func (c *Console) auditPage(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("ticket_id")
	if !httpapi.ReadsAll(principalOf(r)) {
		c.notFound(w, r, nil)
		return
	}
	title := words{"审计 " + id, "Audit " + id}
	body := auditBody{TicketID: id}
	if c.cfg.Audit == nil {
		body.Unavailable = true
		c.render(w, r, http.StatusOK, "audit", title, body)
		return
	}
	exported, ok := c.exportTicket(w, r, id)
	if !ok {
		return
	}
	body.Exported = c.cfg.Now()
	opts := audit.Options{PublicKey: c.cfg.Audit.PublicKey, Policies: c.cfg.Audit.Policies, MaxFindings: -1,
		TrustOnFirstUse: c.cfg.Audit.PublicKey == nil}
	body.Pinned = c.cfg.Audit.PublicKey != nil
	rep, err := bundle.Verify(bytes.NewReader(exported), "ticket "+id, opts)
	if err != nil {
		c.failed(w, r, err)
		return
	}
	body.Report, body.OK = rep, rep.OK()
	body.Events, body.Seal = bundleEvents(exported)
	failedAt := map[uint64][]audit.Check{}
	for _, f := range rep.Findings {
		if f.Position > 0 {
			failedAt[f.Position] = append(failedAt[f.Position], f.Check)
		}
	}
	unsealed := 0
	for i := range body.Events {
		body.Events[i].Failed = failedAt[body.Events[i].Position]
		if body.Events[i].Proof == 0 {
			unsealed++
		}
	}
	body.Steps = auditSteps(rep)
	if unsealed > 0 {
		inclusion := &body.Steps[3]
		inclusion.Notes = append(inclusion.Notes, fmt.Sprintf("%d event(s) are newer than the newest seal and carry no proof yet · %d 个事件晚于最新封印，尚无证明", unsealed, unsealed))
	}
	c.render(w, r, http.StatusOK, "audit", title, body)
}

// auditSteps sorts a report's findings into the page's steps.
func auditSteps(rep *audit.Report) []auditStep {
	steps := make([]auditStep, len(stepChecks))
	for i, s := range stepChecks {
		steps[i] = auditStep{Name: s.name, What: s.what, OK: true}
	}
	for _, f := range rep.Findings {
		i := len(stepChecks) - 1
		for j, s := range stepChecks {
			if slices.Contains(s.checks, f.Check) {
				i = j
				break
			}
		}
		steps[i].OK = false
		steps[i].Findings = append(steps[i].Findings, f)
	}
	steps[2].Notes = append(steps[2].Notes, fmt.Sprintf("%d seal(s); key %s", rep.Seals, orNone(rep.KeyID)))
	steps[len(steps)-1].Notes = append(steps[len(steps)-1].Notes, fmt.Sprintf("%d ruling(s), %d appeal(s); policies %v", rep.Rulings, rep.Appeals, rep.Policies))
	for _, wn := range rep.Warnings {
		steps[len(steps)-1].Notes = append(steps[len(steps)-1].Notes, wn)
	}
	return steps
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// bundleEvents reads the event lines and the newest seal of a bundle, for
// the page's table. Data that no longer decodes is shown as far as it goes:
// the verifier's findings say what is wrong with it.
func bundleEvents(b []byte) ([]auditEvent, *bundle.Seal) {
	var out []auditEvent
	var newest *bundle.Seal
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 0, 64<<10), 16<<20)
	for sc.Scan() {
		var kind struct {
			Kind string `json:"kind"`
		}
		if json.Unmarshal(sc.Bytes(), &kind) != nil {
			continue
		}
		switch kind.Kind {
		case bundle.KindSeal:
			var s bundle.Seal
			if json.Unmarshal(sc.Bytes(), &s) == nil {
				newest = &s
			}
		case bundle.KindEvent:
			var ev bundle.Event
			if json.Unmarshal(sc.Bytes(), &ev) != nil {
				continue
			}
			row := auditEvent{Position: ev.Position}
			if ev.Proof != nil {
				row.Proof = ev.Proof.Seal
			}
			var head struct {
				ID       string `json:"id"`
				Revision uint64 `json:"revision"`
				Type     string `json:"type"`
				PrevHash string `json:"prev_hash"`
			}
			_ = json.Unmarshal(ev.Data, &head)
			row.EventID, row.Revision, row.Type, row.PrevHash = head.ID, head.Revision, head.Type, head.PrevHash
			row.Hash, _ = audit.StoredHash(ev.Data)
			out = append(out, row)
		}
	}
	return out, newest
}

// auditBundle is GET /console/audit/{id}/bundle: the same bundle, to take
// away and verify offline with `disputes verify`.
func (c *Console) auditBundle(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("ticket_id")
	if !httpapi.ReadsAll(principalOf(r)) || c.cfg.Audit == nil {
		c.notFound(w, r, nil)
		return
	}
	exported, ok := c.exportTicket(w, r, id)
	if !ok {
		return
	}
	name := "ticket-" + safeFileName(id) + ".bundle.jsonl"
	w.Header().Set("Content-Type", "application/x-ndjson")
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	_, _ = w.Write(exported)
}

// safeFileName keeps an id's letters, digits and - _ . for a file name.
func safeFileName(s string) string {
	b := []byte(s)
	for i, ch := range b {
		if !(ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z' || ch >= '0' && ch <= '9' || ch == '-' || ch == '_' || ch == '.') {
			b[i] = '_'
		}
	}
	return string(b)
}
