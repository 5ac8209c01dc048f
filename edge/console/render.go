package console

import (
	"bytes"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/disputes-ledger/disputes/domain"
	"github.com/disputes-ledger/disputes/edge/auth"
	"github.com/disputes-ledger/disputes/events"
)

// pageTemplate is the layout with one page's templates.
type pageTemplate struct{ *template.Template }

// page is what the layout renders around a page's body.
type page struct {
	Title   words
	Me      *auth.Principal
	MeRole  words
	CSRF    string
	Nav     string
	Body    any
	Scripts []string
}

// shanghai is the zone times are shown in: China Standard Time, which has
// kept UTC+8 without daylight saving since 1991 (a fixed zone needs no
// time-zone database in the binary).
var shanghai = time.FixedZone("CST", 8*3600)

var funcs = template.FuncMap{
	"yuan":      yuan,
	"local":     func(t time.Time) string { return t.In(shanghai).Format("2006-01-02 15:04:05") },
	"localDate": func(t time.Time) string { return t.In(shanghai).Format("2006-01-02") },
	"utc":       func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
	"short":     func(s string) string { return shortHash(s) },
	"status":    func(v any) words { return wordsOf(statusWords, domain.Status(fmt.Sprint(v))) },
	"kind":      func(v any) words { return wordsOf(kindWords, events.TicketKind(fmt.Sprint(v))) },
	"reason":    func(v any) words { return wordsOf(reasonWords, events.Reason(fmt.Sprint(v))) },
	"deadline":  func(v any) words { return wordsOf(deadlineWords, events.DeadlineKind(fmt.Sprint(v))) },
	"role":      func(v any) words { return wordsOf(roleWords, events.Role(fmt.Sprint(v))) },
	"outcome":   func(v any) words { return wordsOf(outcomeWords, events.Outcome(fmt.Sprint(v))) },
	"liability": func(v any) words { return wordsOf(liabilityWords, events.Liability(fmt.Sprint(v))) },
	"decision":  func(v any) words { return wordsOf(decisionWords, events.AppealDecision(fmt.Sprint(v))) },
	"outcomes":  func() []events.Outcome { return outcomeOrder },
	"liabilities": func() []events.Liability {
		return []events.Liability{events.LiabilityMerchant, events.LiabilityShared, events.LiabilityBuyer, events.LiabilityNone}
	},
	"statuses": domain.Statuses,
	"kinds": func() []events.TicketKind {
		return []events.TicketKind{events.KindRefundOnly, events.KindReturnRefund, events.KindExchange}
	},
	"reasons": func() []events.Reason {
		return []events.Reason{events.ReasonNoReason, events.ReasonQuality, events.ReasonNotAsDescribe, events.ReasonDamaged,
			events.ReasonCounterfeit, events.ReasonNotShipped, events.ReasonLogistics, events.ReasonMissingParts, events.ReasonOther}
	},
	"sub":    func(a, b int) int { return a - b },
	"orNone": orNone,
	"add":    func(a, b int) int { return a + b },
}

var outcomeOrder = []events.Outcome{events.OutcomeBuyerFavoured, events.OutcomePartiallyFavored, events.OutcomeMerchantFavoured}

// parsePages parses the layout with each page's file.
func parsePages() (map[string]*pageTemplate, error) {
	names, err := fs.Glob(assets, "templates/page_*.html")
	if err != nil {
		return nil, err
	}
	base, err := template.New("layout.html").Funcs(funcs).ParseFS(assets, "templates/layout.html", "templates/parts.html")
	if err != nil {
		return nil, fmt.Errorf("console templates: %w", err)
	}
	out := map[string]*pageTemplate{}
	for _, n := range names {
		t, err := template.Must(base.Clone()).ParseFS(assets, n)
		if err != nil {
			return nil, fmt.Errorf("console templates: %w", err)
		}
		out[strings.TrimSuffix(strings.TrimPrefix(path.Base(n), "page_"), ".html")] = &pageTemplate{t}
	}
	return out, nil
}

// render writes a page with status. The page is rendered into a buffer
// first, so a template failure becomes a 500 rather than half a page.
func (c *Console) render(w http.ResponseWriter, r *http.Request, status int, name string, title words, body any) {
	c.renderTemplate(w, r, status, name, "layout.html", title, body)
}

func (c *Console) renderTemplate(w http.ResponseWriter, r *http.Request, status int, name, tmpl string, title words, body any) {
	t, ok := c.pages[name]
	if !ok {
		c.log.Error("console: no such page", "page", name)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	pg := page{Title: title, Body: body, Nav: name}
	if sess := sessionOf(r); sess != nil {
		p := sess.principal
		pg.Me, pg.MeRole, pg.CSRF = &p, wordsOf(roleWords, p.Role), sess.csrf
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, tmpl, pg); err != nil {
		c.log.Error("console: render", "page", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// errorBody is the body of the error page.
type errorBody struct {
	Status  int
	Message words
	Detail  string
}

func (c *Console) errorPage(w http.ResponseWriter, r *http.Request, status int, msg words) {
	c.render(w, r, status, "error", words{"出错了", "Something went wrong"}, errorBody{Status: status, Message: msg})
}

// notFound answers a missing ticket, and a ticket the principal may not
// read, with one and the same page: a non-party learns nothing.
func (c *Console) notFound(w http.ResponseWriter, r *http.Request, _ error) {
	c.render(w, r, http.StatusNotFound, "error", words{"未找到", "Not found"},
		errorBody{Status: http.StatusNotFound, Message: words{"没有这个页面或工单。", "There is no such page or ticket."}})
}

// failed answers a read that failed on the server's side.
func (c *Console) failed(w http.ResponseWriter, r *http.Request, err error) {
	c.log.Error("console: page failed", "path", r.URL.Path, "err", err)
	c.render(w, r, http.StatusInternalServerError, "error", words{"出错了", "Something went wrong"},
		errorBody{Status: http.StatusInternalServerError, Message: words{"读取账本失败，请稍后重试。", "Reading the ledger failed; try again shortly."}})
}

// yuan shows minor units (fen) as yuan with two decimals, without floats.
func yuan(fen int64) string {
	sign := ""
	if fen < 0 {
		sign, fen = "-", -fen
	}
	return fmt.Sprintf("¥%s%d.%02d", sign, fen/100, fen%100)
}

func shortHash(s string) string {
	if len(s) > 12 {
		return s[:12]
	}
	return s
}
