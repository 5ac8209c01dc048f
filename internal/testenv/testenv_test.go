package testenv

import (
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
)

// recorder stands in for a test to see whether Unavailable fails or skips.
type recorder struct {
	testing.TB
	failed, skipped string
}

func (r *recorder) Helper() {}
func (r *recorder) Fatalf(format string, args ...any) {
	r.failed = fmt.Sprintf(format, args...)
}
func (r *recorder) Skipf(format string, args ...any) {
	r.skipped = fmt.Sprintf(format, args...)
}

func TestUnavailable(t *testing.T) {
	for _, tc := range []struct {
		env      string
		wantFail bool
	}{
		{"1", true},
		{"", false},
		{"0", false},
	} {
		t.Run(fmt.Sprintf("%s=%q", RequireServicesEnv, tc.env), func(t *testing.T) {
			t.Setenv(RequireServicesEnv, tc.env)
			r := &recorder{TB: t}
			Unavailable(r, "PostgreSQL", errors.New("connection refused"))
			if tc.wantFail {
				assert.Contains(t, r.failed, "PostgreSQL")
				assert.Contains(t, r.failed, "connection refused")
				assert.Empty(t, r.skipped)
				return
			}
			assert.Empty(t, r.failed)
			assert.Contains(t, r.skipped, RequireServicesEnv, "the skip message must name the variable")
			assert.Contains(t, r.skipped, "connection refused")
		})
	}
}

func TestServicesAnswerOrSkip(t *testing.T) {
	t.Run("PostgreSQL", func(t *testing.T) { assert.NotEmpty(t, PostgresURL(t)) })
	t.Run("NATS", func(t *testing.T) { assert.NotEmpty(t, NATSURL(t)) })
	t.Run("unreachable NATS", func(t *testing.T) {
		t.Setenv(NATSEnv, "nats://127.0.0.1:1")
		t.Setenv(RequireServicesEnv, "")
		r := &recorder{TB: t}
		NATSURL(r)
		assert.Contains(t, r.skipped, RequireServicesEnv)
	})
}
