package console

import (
	"fmt"
	"html/template"
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/disputes-ledger/disputes/edge/httpapi"
	"github.com/disputes-ledger/disputes/events"
	"github.com/disputes-ledger/disputes/projections"
)

// merchantBody is the merchant page's body.
type merchantBody struct {
	ID        string
	NoReads   bool
	Score     projections.MerchantScore
	Threshold int
	Breakdown []breakdownRow
	Chart     template.HTML
	Points    []chartPoint
	Tickets   []projections.TicketSummary
	More      bool
}

type breakdownRow struct {
	Reason string
	Points int
}

// chartPoint is the score at the end of one step of the window.
type chartPoint struct {
	At    time.Time
	Score int
}

// chartSteps is how many points the score chart draws across the window.
const chartSteps = 12

// merchant is GET /console/merchants/{id}: score, review flag, points by
// fact, the score across the rolling window, and the merchant's tickets.
// A merchant sees its own page only, a buyer none: anything else is the
// page of no such merchant.
func (c *Console) merchant(w http.ResponseWriter, r *http.Request) {
	p, id := principalOf(r), r.PathValue("merchant_id")
	if !(httpapi.ReadsAll(p) || p.Role == events.RoleMerchant && p.ID == id) {
		c.notFound(w, r, nil)
		return
	}
	body := merchantBody{ID: id, Threshold: c.cfg.Policy.Penalties.ReviewThreshold}
	title := words{"商家 " + id, "Merchant " + id}
	if c.cfg.Reads == nil {
		body.NoReads = true
		c.render(w, r, http.StatusOK, "merchant", title, body)
		return
	}
	now := c.cfg.Now()
	window := c.cfg.Policy.Penalties.Window()
	for i := chartSteps; i >= 0; i-- {
		at := now.Add(-window * time.Duration(i) / chartSteps)
		scores, err := c.cfg.Reads.Scores(r.Context(), projections.ScoreFilter{WindowEnd: at, MerchantID: id})
		if err != nil {
			c.failed(w, r, err)
			return
		}
		pt := chartPoint{At: at}
		if len(scores) > 0 {
			pt.Score = scores[0].Score
			if i == 0 {
				body.Score = scores[0]
			}
		}
		body.Points = append(body.Points, pt)
	}
	if body.Score.MerchantID == "" {
		body.Score = projections.MerchantScore{MerchantID: id, WindowStart: now.Add(-window), WindowEnd: now, Breakdown: map[projections.PenaltyReason]int{}}
	}
	for _, reason := range slices.Sorted(maps.Keys(body.Score.Breakdown)) {
		body.Breakdown = append(body.Breakdown, breakdownRow{Reason: string(reason), Points: body.Score.Breakdown[reason]})
	}
	body.Chart = scoreChart(body.Points, body.Threshold)
	rows, _, err := c.readList(r.Context(), p, false, listFilter{Merchant: id})
	if err != nil {
		c.failed(w, r, err)
		return
	}
	if len(rows) > 50 {
		rows, body.More = rows[:50], true
	}
	body.Tickets = rows
	c.render(w, r, http.StatusOK, "merchant", title, body)
}

// scoreChart draws the score across the window as an inline SVG line
// chart, with the review threshold as a dashed line. It is built from
// numbers only (no text from the ledger), so it is safe to inline.
func scoreChart(points []chartPoint, threshold int) template.HTML {
	const w, h, left, right, top, bottom = 640, 220, 44, 16, 16, 36
	top0 := threshold + threshold/2
	for _, p := range points {
		top0 = max(top0, p.Score+2)
	}
	x := func(i int) float64 { return left + float64(i)*float64(w-left-right)/float64(max(1, len(points)-1)) }
	y := func(v int) float64 { return top + float64(h-top-bottom)*(1-float64(v)/float64(max(1, top0))) }
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart" viewBox="0 0 %d %d" role="img" aria-labelledby="chart-title chart-desc" xmlns="http://www.w3.org/2000/svg">`, w, h)
	b.WriteString(`<title id="chart-title">扣分走势 Penalty score over the rolling window</title>`)
	fmt.Fprintf(&b, `<desc id="chart-desc">Score from %d to %d; review threshold %d.</desc>`, points[0].Score, points[len(points)-1].Score, threshold)
	for _, v := range []int{0, threshold, top0} {
		fmt.Fprintf(&b, `<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" class="grid"/><text x="%d" y="%.1f" class="axis" text-anchor="end">%d</text>`,
			left, w-right, y(v), y(v), left-6, y(v)+4, v)
	}
	fmt.Fprintf(&b, `<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" class="threshold"/>`, left, w-right, y(threshold), y(threshold))
	fmt.Fprintf(&b, `<text x="%d" y="%.1f" class="axis threshold-label" text-anchor="end">审核线 review %d</text>`, w-right, y(threshold)-4, threshold)
	var line []string
	for i, p := range points {
		line = append(line, fmt.Sprintf("%.1f,%.1f", x(i), y(p.Score)))
	}
	fmt.Fprintf(&b, `<polyline points="%s" class="score"/>`, strings.Join(line, " "))
	for i, p := range points {
		fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="3" class="dot"><title>%s: %d</title></circle>`, x(i), y(p.Score), p.At.In(shanghai).Format("2006-01-02"), p.Score)
		if i%3 == 0 || i == len(points)-1 {
			fmt.Fprintf(&b, `<text x="%.1f" y="%d" class="axis" text-anchor="middle">%s</text>`, x(i), h-bottom+18, p.At.In(shanghai).Format("01-02"))
		}
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String()) // numbers and fixed text only
}
