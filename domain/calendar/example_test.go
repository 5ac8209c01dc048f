package calendar_test

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/disputes-ledger/disputes/domain/calendar"
)

func Example() {
	// The calendar lives inside the policy file; start from the defaults
	// so the policy only names what differs.
	cfg := calendar.DefaultConfig()
	policy := `{"holidays": ["2026-10-01","2026-10-02","2026-10-03","2026-10-04",
		"2026-10-05","2026-10-06","2026-10-07"], "makeup_workdays": ["2026-10-10"]}`
	if err := json.Unmarshal([]byte(policy), &cfg); err != nil {
		panic(err)
	}
	cal, err := calendar.New(cfg)
	if err != nil {
		panic(err)
	}

	// Evidence requested at 16:00 on the eve of the National Day break.
	requested := time.Date(2026, 9, 30, 8, 0, 0, 0, time.UTC)
	due := cal.AddWorkingTime(requested, 4*time.Hour)
	fmt.Println(due.Format(time.RFC3339))
	fmt.Println(cal.WorkingTimeBetween(requested, due))

	// A parcel signed for on 1 March may be returned until the 8th.
	signed := time.Date(2026, 3, 1, 15, 0, 0, 0, cal.Location())
	fmt.Println(cal.EndOfDay(signed, 7).Format("2006-01-02 15:04:05 MST"))
	// Output:
	// 2026-10-08T11:00:00+08:00
	// 4h0m0s
	// 2026-03-08 23:59:59 Asia/Shanghai
}
