package projections

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/disputes-ledger/disputes/domain/policy"
)

// MerchantScore is a merchant's penalty score over one window, with its
// breakdown and the statistics docs/domain.md shows beside it.
type MerchantScore struct {
	MerchantID string `json:"merchant_id"`
	// WindowStart (exclusive) and WindowEnd (inclusive) bound the window.
	WindowStart time.Time `json:"window_start"`
	WindowEnd   time.Time `json:"window_end"`
	// Score is the sum of the points of the facts that occurred in the
	// window and were not reversed by the window's end.
	Score int `json:"score"`
	// Breakdown is the points by reason (reasons with points only).
	Breakdown map[PenaltyReason]int `json:"breakdown"`
	// Facts counts the facts in the score.
	Facts int `json:"facts"`
	// Flagged is policy.Penalties.ReviewFlagged of Score.
	Flagged bool `json:"flagged"`
	// PolicyVersion is the version of the policy the points were computed
	// under (versions joined by "," if the facts span several; empty when
	// there are none).
	PolicyVersion string `json:"policy_version"`

	// The statistics cover the tickets opened in the window, as they stood
	// at the window's end.
	DisputesOpened int `json:"disputes_opened"`
	Interventions  int `json:"interventions"`
	// InterventionRate is Interventions / DisputesOpened.
	InterventionRate float64 `json:"intervention_rate"`
	// Rulings counts final rulings; RulingsLost those holding the merchant
	// (or the merchant and buyer jointly) liable, RulingsWon the others
	// (merchant favoured, buyer or no liability), by the final terms.
	Rulings     int `json:"rulings"`
	RulingsWon  int `json:"rulings_won"`
	RulingsLost int `json:"rulings_lost"`
	// MerchantLiableRate is RulingsLost / Rulings.
	MerchantLiableRate float64 `json:"merchant_liable_rate"`
	// FirstResponses counts tickets the merchant acted on;
	// MedianFirstResponseSeconds is the median time from opening to the
	// merchant's first action, in seconds (durations leave the read side in
	// seconds).
	FirstResponses             int     `json:"first_responses"`
	MedianFirstResponseSeconds float64 `json:"median_first_response_seconds"`
}

// Scores computes every merchant's score in the window of pol's WindowDays
// ending at windowEnd (inclusive), from the merchant-penalty projection's
// tables, most penalised first. Merchants with tickets or facts in the
// window are listed, the others not.
func Scores(ctx context.Context, db *DB, windowEnd time.Time, pol policy.Policy) ([]MerchantScore, error) {
	end := windowEnd.UTC()
	start := pol.Penalties.WindowStart(end)
	endS, startS := formatTime(end), formatTime(start)
	byID := map[string]*MerchantScore{}
	get := func(id string) *MerchantScore {
		s, ok := byID[id]
		if !ok {
			s = &MerchantScore{MerchantID: id, WindowStart: start, WindowEnd: end, Breakdown: map[PenaltyReason]int{}}
			byID[id] = s
		}
		return s
	}
	versions := map[string]map[string]bool{}

	// CAST: PostgreSQL sums BIGINTs as NUMERIC.
	err := query(ctx, db, `SELECT merchant_id, reason, policy_version, CAST(sum(points) AS BIGINT), count(*) FROM rm_penalty_facts
		WHERE occurred_at > ? AND occurred_at <= ? AND (reversed_at IS NULL OR reversed_at > ?)
		GROUP BY merchant_id, reason, policy_version`, []any{startS, endS, endS}, func(rows *sql.Rows) error {
		var id, reason, version string
		var points, n int
		if err := rows.Scan(&id, &reason, &version, &points, &n); err != nil {
			return err
		}
		s := get(id)
		s.Score += points
		s.Facts += n
		if points != 0 {
			s.Breakdown[PenaltyReason(reason)] += points
		}
		if versions[id] == nil {
			versions[id] = map[string]bool{}
		}
		versions[id][version] = true
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("penalty points: %w", err)
	}

	err = query(ctx, db, `SELECT merchant_id, count(*),
			sum(CASE WHEN intervened_at <= ? THEN 1 ELSE 0 END),
			sum(CASE WHEN finalized_at <= ? THEN 1 ELSE 0 END),
			sum(CASE WHEN finalized_at <= ? AND final_liability IN ('merchant', 'shared') THEN 1 ELSE 0 END)
		FROM rm_merchant_tickets WHERE opened_at > ? AND opened_at <= ? GROUP BY merchant_id`,
		[]any{endS, endS, endS, startS, endS}, func(rows *sql.Rows) error {
			var id string
			var opened, intervened, ruled, lost int
			if err := rows.Scan(&id, &opened, &intervened, &ruled, &lost); err != nil {
				return err
			}
			s := get(id)
			s.DisputesOpened, s.Interventions, s.Rulings, s.RulingsLost, s.RulingsWon = opened, intervened, ruled, lost, ruled-lost
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("merchant ticket statistics: %w", err)
	}

	responses := map[string][]int64{}
	err = query(ctx, db, `SELECT merchant_id, first_response_ms FROM rm_merchant_tickets
		WHERE opened_at > ? AND opened_at <= ? AND first_response_at <= ?`, []any{startS, endS, endS}, func(rows *sql.Rows) error {
		var id string
		var ms int64
		if err := rows.Scan(&id, &ms); err != nil {
			return err
		}
		responses[id] = append(responses[id], ms)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("first responses: %w", err)
	}
	for id, ms := range responses {
		s := get(id)
		s.FirstResponses, s.MedianFirstResponseSeconds = len(ms), median(ms).Seconds()
	}

	out := make([]MerchantScore, 0, len(byID))
	for id, s := range byID {
		s.Flagged = pol.Penalties.ReviewFlagged(s.Score)
		s.InterventionRate = ratio(s.Interventions, s.DisputesOpened)
		s.MerchantLiableRate = ratio(s.RulingsLost, s.Rulings)
		vs := make([]string, 0, len(versions[id]))
		for v := range versions[id] {
			vs = append(vs, v)
		}
		sort.Strings(vs)
		s.PolicyVersion = strings.Join(vs, ",")
		out = append(out, *s)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Score != out[j].Score {
			return out[i].Score > out[j].Score
		}
		return out[i].MerchantID < out[j].MerchantID
	})
	return out, nil
}

// median returns the median of millisecond durations (the mean of the two
// middle values for an even count).
func median(ms []int64) time.Duration {
	if len(ms) == 0 {
		return 0
	}
	slices.Sort(ms)
	mid := len(ms) / 2
	m := ms[mid]
	if len(ms)%2 == 0 {
		m = (ms[mid-1] + ms[mid]) / 2
	}
	return time.Duration(m) * time.Millisecond
}

func ratio(n, d int) float64 {
	if d == 0 {
		return 0
	}
	return float64(n) / float64(d)
}

// query runs a read and calls scan for each row.
func query(ctx context.Context, db *DB, q string, args []any, scan func(*sql.Rows) error) error {
	rows, err := db.SQL.QueryContext(ctx, db.Dialect.Q(q), args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}
