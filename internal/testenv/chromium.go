package testenv

import (
	"errors"
	"os"
	"os/exec"
	"testing"
)

// ChromiumEnv names the browser binary the browser tests drive, when it is
// not chromium (or chromium-browser, google-chrome) on the PATH.
const ChromiumEnv = "DISPUTES_CHROMIUM"

// Chromium returns the path of a Chromium binary for browser tests. Without
// one, tb fails when DISPUTES_REQUIRE_SERVICES=1 and is skipped otherwise.
func Chromium(tb testing.TB) string {
	tb.Helper()
	if p := os.Getenv(ChromiumEnv); p != "" {
		if _, err := os.Stat(p); err != nil {
			Unavailable(tb, "Chromium", err)
			return ""
		}
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	Unavailable(tb, "Chromium", errors.New("no chromium, chromium-browser or google-chrome on the PATH (apt-get install chromium fonts-noto-cjk, or set "+ChromiumEnv+")"))
	return ""
}
