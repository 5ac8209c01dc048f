package console

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"time"
)

// requestInfo is filled in as a request goes through the console and read
// by the access log when it is done.
type requestInfo struct{ principal string }

type infoKey struct{}

// observe writes one access-log line per request: method, path, status,
// bytes, latency and the principal of a signed-in session. The embedded
// assets are logged at debug level; the live event stream is logged by the
// API it is handed to.
func (c *Console) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		info := &requestInfo{}
		r = r.WithContext(context.WithValue(r.Context(), infoKey{}, info))
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r)
		if r.URL.Path == Prefix+"events" {
			return
		}
		level := slog.LevelInfo
		switch {
		case strings.HasPrefix(r.URL.Path, Prefix+"static/"):
			level = slog.LevelDebug
		case sw.status >= 500:
			level = slog.LevelError
		}
		attrs := []slog.Attr{slog.String("method", r.Method), slog.String("path", r.URL.Path), slog.Int("status", sw.statusOr200()),
			slog.Int64("bytes", sw.bytes), slog.Float64("latency_ms", float64(time.Since(start).Microseconds())/1000)}
		if info.principal != "" {
			attrs = append(attrs, slog.String("actor", info.principal))
		}
		c.log.LogAttrs(r.Context(), level, "console request", attrs...)
	})
}

// notePrincipal records the signed-in principal for the access log.
func notePrincipal(ctx context.Context, p string) {
	if info, ok := ctx.Value(infoKey{}).(*requestInfo); ok {
		info.principal = p
	}
}

// statusWriter remembers the status and size of an answer; Unwrap lets
// http.ResponseController (the event stream's flushes) reach the writer.
type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}

// Flush passes flushes through, for the event stream.
func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap gives http.ResponseController the underlying writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *statusWriter) statusOr200() int {
	if w.status == 0 {
		return http.StatusOK
	}
	return w.status
}
