package httpapi

import "net/http"

// StatusWriter remembers the status and size of a response, for access logs
// and metrics; the API and the console both wrap their writers in it. It
// passes Flush and the rest through Unwrap, which http.ResponseController
// uses (the event stream's flushes).
type StatusWriter struct {
	http.ResponseWriter
	status int
	bytes  int64
}

// NewStatusWriter wraps w.
func NewStatusWriter(w http.ResponseWriter) *StatusWriter {
	return &StatusWriter{ResponseWriter: w}
}

func (w *StatusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *StatusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}

// Flush lets the event stream flush through the wrapper.
func (w *StatusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap gives http.ResponseController the underlying writer.
func (w *StatusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// HeaderWritten reports whether a status has gone out yet.
func (w *StatusWriter) HeaderWritten() bool { return w.status != 0 }

// Status is the status sent, or 200 (what net/http sends) when the handler
// wrote nothing.
func (w *StatusWriter) Status() int {
	if w.status == 0 {
		return http.StatusOK
	}
	return w.status
}

// Bytes is how many bytes of body were written.
func (w *StatusWriter) Bytes() int64 { return w.bytes }
