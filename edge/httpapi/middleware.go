package httpapi

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"runtime"
	"strings"
	"sync/atomic"
	"time"

	"github.com/disputes-ledger/disputes/edge/auth"
)

// requestInfo is filled in as a request goes through the layers and read
// by the access log and the metrics when it is done.
type requestInfo struct {
	requestID string
	// principal is who authenticate found the bearer of the request's
	// token to be; the zero Principal until authenticated says so.
	principal     auth.Principal
	authenticated bool
	commandID     string
	ticketID      string
	command       string
	outcome       string
	err           error
	code          string
}

type infoKey struct{}

// observed is what observe keeps for one request.
type observed struct {
	info requestInfo
	sw   StatusWriter
	// requestIDHeader is the X-Request-Id header's value list, kept here
	// so that setting it allocates nothing more.
	requestIDHeader [1]string
}

func infoOf(ctx context.Context) *requestInfo {
	info, _ := ctx.Value(infoKey{}).(*requestInfo)
	return info
}

// principalOf returns the authenticated principal of a request that went
// through authenticate.
func principalOf(r *http.Request) auth.Principal {
	if info := infoOf(r.Context()); info != nil && info.authenticated {
		return info.principal
	}
	return auth.Principal{}
}

// observe is the outermost layer: it counts the request in flight, gives
// it an id, recovers panics, and when the request is done writes one
// access-log line and records the request metrics.
func (s *Server) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		s.metrics.inFlight.Inc()
		defer s.metrics.inFlight.Dec()
		// The request's record and its writer in one allocation.
		// The header's name as net/http canonicalizes it: Get would
		// otherwise canonicalize "X-Request-ID" into a new string each time.
		o := &observed{info: requestInfo{requestID: requestID(r.Header.Get("X-Request-Id"))}, sw: StatusWriter{ResponseWriter: w}}
		info, sw := &o.info, &o.sw
		r = r.WithContext(context.WithValue(r.Context(), infoKey{}, info))
		// What Header().Set would do, without its allocation: the name as
		// net/http canonicalizes it, the value list the record's own.
		o.requestIDHeader[0] = info.requestID
		w.Header()["X-Request-Id"] = o.requestIDHeader[:]
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.log.Error("panic", "request_id", info.requestID, "panic", fmt.Sprint(v))
				if !sw.HeaderWritten() {
					writeProblem(sw, r, fmt.Errorf("panic: %v", v))
				}
			}
			s.done(r, sw, info, time.Since(start))
		}()
		next.ServeHTTP(sw, r)
	})
}

// done logs and counts a finished request.
func (s *Server) done(r *http.Request, sw *StatusWriter, info *requestInfo, elapsed time.Duration) {
	route := r.Pattern
	if route == "" {
		route = "unmatched"
	}
	status := sw.Status()
	s.metrics.observeRequest(route, status, elapsed)
	if info.command != "" {
		s.metrics.observeCommand(info.command, info.outcome)
	}
	// Room for every attribute below, so that the list is not grown twice.
	attrs := append(make([]slog.Attr, 0, 12),
		slog.String("request_id", info.requestID),
		slog.String("method", r.Method),
		slog.String("route", route),
		slog.String("path", r.URL.Path),
		slog.Int("status", status),
		slog.Int64("bytes", sw.Bytes()),
		slog.Float64("latency_ms", float64(elapsed.Microseconds())/1000),
	)
	if info.authenticated {
		attrs = append(attrs, slog.String("actor", info.principal.String()))
	}
	if info.commandID != "" {
		attrs = append(attrs, slog.String("command_id", info.commandID))
	}
	if info.ticketID != "" {
		attrs = append(attrs, slog.String("ticket_id", info.ticketID))
	}
	level := slog.LevelInfo
	if info.err != nil {
		attrs = append(attrs, slog.String("problem", info.code), slog.String("err", info.err.Error()))
		if status >= 500 {
			level = slog.LevelError
		}
	}
	// What s.log.LogAttrs does, but for the record's program counter
	// (its source, when the handler adds one): LogAttrs walks the stack
	// for it on every call; it is a line of this function, found once.
	ctx, h := r.Context(), s.log.Handler()
	if !h.Enabled(ctx, level) {
		return
	}
	rec := slog.NewRecord(time.Now(), level, "request", accessLogPC())
	rec.AddAttrs(attrs...)
	_ = h.Handle(ctx, rec)
}

// accessLogPCs holds the program counter of the access log's records.
var accessLogPCs atomic.Uintptr

// accessLogPC returns a program counter in done, where the access log's
// records come from.
func accessLogPC() uintptr {
	if pc := accessLogPCs.Load(); pc != 0 {
		return pc
	}
	var pcs [1]uintptr
	runtime.Callers(2, pcs[:]) // 0 is Callers, 1 accessLogPC, 2 its caller
	accessLogPCs.Store(pcs[0])
	return pcs[0]
}

// requestID keeps a caller's X-Request-ID when it is short and plain, so
// one id follows a request across systems, and makes one otherwise.
func requestID(given string) string {
	if n := len(given); n > 0 && n <= 64 && strings.Trim(given, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.:") == "" {
		return given
	}
	var b [12]byte
	_, _ = rand.Read(b[:])
	var id [24]byte
	hex.Encode(id[:], b[:])
	return string(id[:])
}

// authenticate requires a valid bearer token and records the principal.
func (s *Server) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token, ok := auth.BearerToken(r.Header.Get("Authorization"))
		if !ok {
			writeProblem(w, r, fmt.Errorf("%w: no bearer token", auth.ErrUnauthenticated))
			return
		}
		p, err := s.auth.Authenticate(r.Context(), token)
		if err != nil {
			writeProblem(w, r, err)
			return
		}
		if info := infoOf(r.Context()); info != nil {
			info.principal, info.authenticated = p, true
		}
		next.ServeHTTP(w, r)
	})
}
