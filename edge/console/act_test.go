package console_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/disputes-ledger/disputes/domain"
)

// formOf reads the hidden fields of a page's form: its CSRF token, its
// idempotency key and the revision it was rendered at.
func formOf(t *testing.T, page, formID string) url.Values {
	t.Helper()
	i := strings.Index(page, `id="`+formID+`"`)
	require.GreaterOrEqual(t, i, 0, "no form %s on the page", formID)
	form := page[i:]
	form = form[:strings.Index(form, "</form>")]
	v := url.Values{}
	for _, name := range []string{"csrf", "key", "revision"} {
		m := regexp.MustCompile(`name="` + name + `" value="([^"]*)"`).FindStringSubmatch(form)
		require.NotNil(t, m, "%s has no %s", formID, name)
		v.Set(name, m[1])
	}
	return v
}

func TestARefusalIsExplainedInWords(t *testing.T) {
	s := newSite(t)
	s.underReview("T-1", "b-1")
	b := s.browser()
	b.signIn("arbitrator:arb-1")
	_, page := b.get("/console/tickets/T-1")
	form := formOf(t, page, "rule-form")
	before := form.Get("revision")
	form.Set("outcome", "merchant_favoured")
	form.Set("liability", "none")
	form.Set("refund", "10")
	form.Set("rationale", "both at fault")
	res := b.post("/console/tickets/T-1/rule", form)
	assert.Equal(t, http.StatusConflict, res.StatusCode)
	body := readBody(t, res)
	assert.Contains(t, body, "支持商家时不得退款", "the rule in Chinese")
	assert.Contains(t, body, "a merchant-favoured ruling orders no refund", "and in English")
	assert.NotContains(t, body, ">ruling_terms<", "not as a bare code")
	assert.Equal(t, before, revision(t, s, "T-1"), "nothing recorded")

	// An amount that is not yuan is refused before the command path.
	form = formOf(t, body, "rule-form")
	form.Set("outcome", "buyer_favoured")
	form.Set("liability", "merchant")
	form.Set("refund", "12.345")
	res = b.post("/console/tickets/T-1/rule", form)
	assert.Equal(t, http.StatusUnprocessableEntity, res.StatusCode)
	assert.Contains(t, readBody(t, res), "two decimals")
}

func TestSeniorArbitratorDecidesTheAppealFromTheForm(t *testing.T) {
	s := newSite(t)
	s.underReview("T-1", "b-1")
	s.do("arbitrator:arb-2", "T-1", domain.Rule{Terms: ruling(), Rationale: "merchant liable", Evidence: []string{"ev-b-1"}})
	s.do("merchant:m-1", "T-1", domain.FileAppeal{Grounds: "照片是旧的 the photos are old"})

	b := s.browser()
	b.signIn("senior_arbitrator:sr-1")
	_, page := b.get("/console/tickets/T-1")
	assert.NotContains(t, page, `id="rule-form"`, "a senior arbitrator is offered the appeal, not a ruling")
	form := formOf(t, page, "appeal-form")
	form.Set("decision", "upheld")
	form.Set("rationale", "照片时间已核实 timestamps verified")
	res := b.post("/console/tickets/T-1/decide_appeal", form)
	require.Equal(t, http.StatusSeeOther, res.StatusCode, readBody(t, res))
	_, page = b.get(res.Header.Get("Location"))
	assert.Contains(t, page, `data-status="closed"`)
	assert.Contains(t, page, "appeal.decided")

	s.waitProjected()
	_, queue := b.get("/console/")
	assert.NotContains(t, queue, `data-ticket="T-1"`, "a closed ticket leaves the queue")
	_, closed := b.get("/console/?status=closed")
	assert.Contains(t, closed, `data-ticket="T-1"`, "and is found by its status")

	// The same form again (a double submit) records nothing more.
	rev := revision(t, s, "T-1")
	res = b.post("/console/tickets/T-1/decide_appeal", form)
	assert.Equal(t, http.StatusSeeOther, res.StatusCode, "the first answer again")
	assert.Equal(t, rev, revision(t, s, "T-1"))
}

func TestQueueMarksABreachedRulingSLA(t *testing.T) {
	s := newSite(t)
	s.underReview("T-1", "b-1")
	s.underReview("T-2", "b-2")
	s.clock.Advance(73 * time.Hour)
	s.do("agent:cs-1", "T-1", domain.PostMessage{Text: "仍在审核 still reviewing"}) // fires the ruling SLA first
	s.waitProjected()

	b := s.browser()
	b.signIn("agent:cs-1")
	_, page := b.get("/console/")
	row := func(id string) string {
		i := strings.Index(page, `data-ticket="`+id+`"`)
		require.GreaterOrEqual(t, i, 0, id)
		return page[i : i+strings.Index(page[i:], "</tr>")]
	}
	assert.Contains(t, row("T-1"), "SLA breached")
	assert.NotContains(t, row("T-2"), "SLA breached", "T-2's SLA is past due but not fired: overdue, not breached")
	assert.Contains(t, row("T-2"), "overdue")
}

func TestTicketPageReplaysToAMomentAndShowsPenaltyPoints(t *testing.T) {
	s := newSite(t)
	s.underReview("T-1", "b-1")
	s.waitProjected()
	b := s.browser()
	b.signIn("arbitrator:arb-1")

	// Opened at 10:00 Shanghai, rejected at 12:00: at 11:59 it awaited the merchant.
	_, page := b.get("/console/tickets/T-1?at=2026-11-02T11:59")
	assert.Contains(t, page, `data-status="awaiting_merchant"`)
	assert.Contains(t, page, "revision 0 of")
	assert.NotContains(t, page, `id="rule-form"`, "no forms on a replay")
	// Rejection, intervention and the evidence request all came at 12:00.
	_, page = b.get("/console/tickets/T-1?at=2026-11-02T12:00")
	assert.Contains(t, page, `data-status="awaiting_evidence"`)
	assert.Contains(t, page, "revision 5 of")

	_, page = b.get("/console/tickets/T-1")
	assert.Contains(t, page, `id="rule-form"`)
	assert.Regexp(t, `\+1 <code>vague_message</code>`, page, "the vague promise cost the merchant a point")
	assert.Contains(t, page, "¥129.00", "money in yuan")
	assert.Contains(t, page, `title="UTC 2026-11-02T02:00:00Z">2026-11-02 10:00:00</time>`, "Shanghai time, UTC on hover")
}
