package main

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The soak's knobs: how long (a Go duration; unset, the soak does not
// run) and where its record goes.
const (
	soakEnv    = "DISPUTES_SOAK"
	soakOutEnv = "DISPUTES_SOAK_OUT"
)

// TestServeSoak runs `serve` (SQLite ledger, sealing, scheduler on,
// deadlines of seconds) for DISPUTES_SOAK under the crash test's steady
// load — parties carrying tickets through their lifecycles — and every
// 10 s records serve's resident memory (anonymous and file-backed), Go
// heap in use and goroutines, and the p50/p99 latency and count of the
// requests since the last sample. The record goes to soak.csv and
// soak.json in DISPUTES_SOAK_OUT (default: a temporary directory, named in
// the log). After a warm-up (a tenth of the run, at most a minute) it fits
// a line through each series and fails if the heap, the goroutines or the
// anonymous memory grew beyond soakLimits. `make soak` runs it for 10
// minutes; it is not part of CI.
func TestServeSoak(t *testing.T) {
	v := os.Getenv(soakEnv)
	if v == "" {
		t.Skipf("the soak runs for minutes: set %s=10m (make soak)", soakEnv)
	}
	duration, err := time.ParseDuration(v)
	require.NoError(t, err, soakEnv)
	every := min(10*time.Second, duration/6)
	warmUp := min(time.Minute, duration/10)
	out := os.Getenv(soakOutEnv)
	if out == "" {
		out = t.TempDir()
	}
	require.NoError(t, os.MkdirAll(out, 0o755))

	dir := t.TempDir()
	cast := newCrashCastFiles(t, dir)
	pol := writeShortPolicy(t, dir)
	key, pub := filepath.Join(dir, "seal.pem"), filepath.Join(dir, "seal.pub.pem")
	code, _, errOut := runCLI(t, "", "keys", "--generate", key, "--out", pub)
	require.Equal(t, 0, code, errOut)
	clk := crashClock{ledgerStart: crashLedgerStart, wallStart: time.Now()}
	metricsAddr := freeAddr(t)
	addr, logs, exited, cmd := startServeProcessWith(t, dir, "--key", key, "--seal-every", "1000", "--seal-interval", "10s",
		"--policy", pol, "--clock-start", clk.now().Format(time.RFC3339Nano), "--metrics-addr", metricsAddr, "--log-level", "warn")
	base := "http://" + addr

	lat := &latencies{}
	rec := newCrashRecord()
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	seed := uint64(time.Now().UnixNano())
	for i := range crashWorkers {
		w := newCrashWorker(i, seed, crashSlots)
		wg.Go(func() { w.runWith(ctx, &http.Client{Timeout: 30 * time.Second, Transport: lat}, base, cast, clk, rec) })
	}

	csvFile, err := os.Create(filepath.Join(out, "soak.csv"))
	require.NoError(t, err)
	defer csvFile.Close()
	w := csv.NewWriter(csvFile)
	require.NoError(t, w.Write([]string{"elapsed_s", "rss_bytes", "rss_anon_bytes", "rss_file_bytes", "heap_inuse_bytes", "goroutines", "requests", "p50_ms", "p99_ms"}))
	var samples []soakSample
	began := time.Now()
	for tick := time.NewTicker(every); time.Since(began) < duration; {
		<-tick.C
		s := sampleServe(t, cmd.Process.Pid, metricsAddr)
		s.Elapsed = time.Since(began)
		durs := lat.take()
		s.Requests = len(durs)
		s.P50, s.P99 = percentiles(durs)
		samples = append(samples, s)
		require.NoError(t, w.Write([]string{fmt.Sprintf("%.0f", s.Elapsed.Seconds()), f0(s.RSS), f0(s.RSSAnon), f0(s.RSSFile), f0(s.HeapInuse),
			f0(s.Goroutines), strconv.Itoa(s.Requests), ms(s.P50), ms(s.P99)}))
		w.Flush()
		require.NoError(t, w.Error())
		t.Logf("%4.0fs rss %5.1f MiB (anon %5.1f, file %5.1f) heap %5.1f MiB goroutines %3.0f | %5d requests p50 %s p99 %s",
			s.Elapsed.Seconds(), mib(s.RSS), mib(s.RSSAnon), mib(s.RSSFile), mib(s.HeapInuse), s.Goroutines, s.Requests, ms(s.P50), ms(s.P99))
	}
	cancel()
	wg.Wait()
	// What serve holds at the end, for `go tool pprof` when memory grew.
	saveHeapProfile(t, metricsAddr, filepath.Join(out, "heap.pprof"))
	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	select {
	case err := <-exited:
		require.NoError(t, err, logs.String())
	case <-time.After(60 * time.Second):
		t.Fatal("serve did not stop")
	}
	require.Empty(t, rec.fails, "answers the parties did not expect")

	fits, err := fitSoak(samples, warmUp)
	require.NoError(t, err)
	requests := 0
	for _, s := range samples {
		requests += s.Requests
	}
	summary := map[string]any{
		"duration_s": duration.Seconds(), "sample_every_s": every.Seconds(), "warm_up_s": warmUp.Seconds(),
		"requests": requests, "commands_acknowledged": len(rec.acked), "refused_by_the_rules": len(rec.refused),
		"machine": fmt.Sprintf("%s/%s, %d CPUs", runtime.GOOS, runtime.GOARCH, runtime.NumCPU()), "load_average_at_end": loadAverage(),
		"fits": fits,
	}
	data, err := json.MarshalIndent(summary, "", "  ")
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(out, "soak.json"), data, 0o644))
	t.Logf("record: %s, %s", filepath.Join(out, "soak.csv"), filepath.Join(out, "soak.json"))
	t.Logf("%d requests, %d commands acknowledged; load average at the end %s", requests, len(rec.acked), loadAverage())
	for _, f := range fits {
		limit := "reported, not gated"
		if f.Gated {
			limit = fmt.Sprintf("limit %.1f", f.Limit)
		}
		t.Logf("%-17s slope %+12.1f/min, growth %+12.1f over the fitted span (%+.1f%% of %.1f; %s) ok=%v",
			f.Series, f.PerMinute, f.Growth, 100*f.GrowthRatio, f.Start, limit, f.OK)
		assert.True(t, f.OK, "%s grew by %.1f over the run, beyond %.1f", f.Series, f.Growth, f.Limit)
	}

	code, outText, errOut := runCLI(t, "", "verify", "--db", filepath.Join(dir, "ledger.db"), "--policy", pol, "--public-key", pub, "--read-models")
	assert.Equal(t, 0, code, "%s%s", outText, errOut)
}

// latencies is an http.RoundTripper that records how long each request
// took to its response headers.
type latencies struct {
	mu   sync.Mutex
	durs []time.Duration
}

func (l *latencies) RoundTrip(r *http.Request) (*http.Response, error) {
	start := time.Now()
	res, err := http.DefaultTransport.RoundTrip(r)
	if err == nil {
		l.mu.Lock()
		l.durs = append(l.durs, time.Since(start))
		l.mu.Unlock()
	}
	return res, err
}

// take returns the durations recorded since the last take.
func (l *latencies) take() []time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := l.durs
	l.durs = nil
	return out
}

// sampleServe reads serve's memory from /proc and its heap and goroutines
// from its metrics listener.
func sampleServe(t *testing.T, pid int, metricsAddr string) soakSample {
	t.Helper()
	var s soakSample
	status, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	require.NoError(t, err, "the soak reads serve's memory from /proc (Linux)")
	defer status.Close()
	sc := bufio.NewScanner(status)
	for sc.Scan() {
		name, value, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		fields := strings.Fields(value)
		if len(fields) != 2 || fields[1] != "kB" {
			continue
		}
		kb, err := strconv.ParseFloat(fields[0], 64)
		require.NoError(t, err)
		switch name {
		case "VmRSS":
			s.RSS = kb * 1024
		case "RssAnon":
			s.RSSAnon = kb * 1024
		case "RssFile":
			s.RSSFile = kb * 1024
		}
	}
	require.NoError(t, sc.Err())
	res, err := http.Get("http://" + metricsAddr + "/metrics")
	require.NoError(t, err)
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	m := parseMetrics(t, string(body))
	s.HeapInuse = metricValue(m, "go_memstats_heap_inuse_bytes")
	s.Goroutines = metricValue(m, "go_goroutines")
	return s
}

// loadAverage returns the machine's 1, 5 and 15 minute load averages.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

func f0(v float64) string   { return strconv.FormatFloat(v, 'f', 0, 64) }
func mib(v float64) float64 { return v / (1 << 20) }
func ms(d time.Duration) string {
	return strconv.FormatFloat(float64(d.Microseconds())/1000, 'f', 1, 64)
}

// saveHeapProfile saves serve's heap profile (after a collection) from the
// operators' listener.
func saveHeapProfile(t *testing.T, metricsAddr, path string) {
	t.Helper()
	res, err := http.Get("http://" + metricsAddr + "/debug/pprof/heap?gc=1")
	require.NoError(t, err)
	defer res.Body.Close()
	require.Equal(t, http.StatusOK, res.StatusCode)
	data, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(path, data, 0o644))
	t.Logf("heap profile: %s (go tool pprof -sample_index=inuse_space %s)", path, path)
}
