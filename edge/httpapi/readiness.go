package httpapi

import (
	"context"
	"net/http"
	"time"

	"github.com/disputes-ledger/disputes/eventstore/follow"
	"github.com/disputes-ledger/disputes/internal/supervise"
)

// Readiness is /readyz's body on the API's listener, which anyone may
// read: the overall status and each component's name and state, nothing
// else. Errors, lease owners, fencing tokens and follower positions are
// for operators (ReadinessDetail, on the operators' listener): an error
// text may name hosts, users or SQL, and an owner names a machine.
type Readiness struct {
	// Status is "ready" (200) or "not_ready" (503).
	Status string `json:"status"`
	// Components are the background components, in the order started.
	Components []ComponentState `json:"components"`
}

// ComponentState is one background component as the public sees it.
type ComponentState struct {
	Name  string          `json:"name"`
	State supervise.State `json:"state"`
}

// ReadinessDetail is /readyz's body on the operators' listener
// (OperatorHandler): why the server is not ready and each component's
// whole status, with the state of the log follower it runs.
type ReadinessDetail struct {
	// Status is "ready" (200) or "not_ready" (503).
	Status string `json:"status"`
	// Reason says what is not ready.
	Reason string `json:"reason,omitempty"`
	// Components are the background components, each ok, standby,
	// starting, retrying or broken, with its last error, restarts, lease
	// token and owner.
	Components []ComponentDetail `json:"components"`
}

// ComponentDetail is one component's status and, while it runs one, its
// log follower's.
type ComponentDetail struct {
	supervise.Named
	Follower *FollowerStatus `json:"follower,omitempty"`
}

// FollowerStatus is a log follower's follow.Status as JSON.
type FollowerStatus struct {
	State follow.State `json:"state"`
	Since time.Time    `json:"since"`
	// Position is the last position the consumer handled, Head the newest
	// the follower knows of, Lag the events between them.
	Position uint64 `json:"position"`
	Head     uint64 `json:"head"`
	Lag      uint64 `json:"lag"`
	// Error is the last failure while retrying, or why it stopped.
	Error   string     `json:"error,omitempty"`
	Attempt int        `json:"attempt,omitempty"`
	RetryAt *time.Time `json:"retry_at,omitempty"`
}

// NewFollowerStatus turns st into its JSON form.
func NewFollowerStatus(st follow.Status) FollowerStatus {
	out := FollowerStatus{State: st.State, Since: st.Since, Position: st.Position, Head: st.Head, Lag: st.Lag, Attempt: st.Attempt}
	if st.Err != nil {
		out.Error = st.Err.Error()
	}
	if st.State == follow.Retrying && !st.RetryAt.IsZero() {
		at := st.RetryAt
		out.RetryAt = &at
	}
	return out
}

// readiness is ready when the ledger can be read, cfg.Ready agrees and
// every required component is ok or standing by.
func (s *Server) readiness(ctx context.Context) ReadinessDetail {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	body := ReadinessDetail{Status: "ready", Components: []ComponentDetail{}}
	_, err := s.store.ReadAll(ctx, 0, 1)
	if err == nil && s.cfg.Ready != nil {
		err = s.cfg.Ready(ctx)
	}
	if err != nil {
		body.Status, body.Reason = "not_ready", err.Error()
	}
	if s.cfg.Components == nil {
		return body
	}
	named := s.cfg.Components()
	var followers map[string]follow.Status
	if s.cfg.Followers != nil {
		followers = s.cfg.Followers()
	}
	for _, n := range named {
		d := ComponentDetail{Named: n}
		if st, ok := followers[n.Name]; ok {
			fs := NewFollowerStatus(st)
			d.Follower = &fs
		}
		body.Components = append(body.Components, d)
	}
	if !supervise.Ready(named) && body.Status == "ready" {
		body.Status, body.Reason = "not_ready", "a required component is neither ok nor standing by"
	}
	return body
}

// readyz is the public /readyz: status and each component's state only.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	detail := s.readiness(r.Context())
	body := Readiness{Status: detail.Status, Components: make([]ComponentState, len(detail.Components))}
	for i, c := range detail.Components {
		body.Components[i] = ComponentState{Name: c.Name, State: c.State}
	}
	writeReadiness(w, body.Status, body)
}

// readyzDetail is /readyz on the operators' listener: everything.
func (s *Server) readyzDetail(w http.ResponseWriter, r *http.Request) {
	detail := s.readiness(r.Context())
	writeReadiness(w, detail.Status, detail)
}

func writeReadiness(w http.ResponseWriter, status string, body any) {
	code := http.StatusOK
	if status != "ready" {
		code = http.StatusServiceUnavailable
		w.Header().Set("Retry-After", "1")
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, code, body)
}
