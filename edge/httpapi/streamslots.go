package httpapi

import (
	"fmt"
	"net/http"
	"sync"
)

// streamSlots bounds open event streams twice: in all, so the server keeps
// its memory and file descriptors, and per principal, so that one token —
// however many connections it opens — cannot take every slot and shut the
// other principals out (issue 11, finding 4).
type streamSlots struct {
	max, perPrincipal int

	mu    sync.Mutex
	total int
	by    map[string]int // open streams by principal ("role:id")
}

func newStreamSlots(max, perPrincipal int) *streamSlots {
	return &streamSlots{max: max, perPrincipal: perPrincipal, by: map[string]int{}}
}

// acquire takes a slot for principal, or answers why not: 429 when the
// principal has its share open, 503 when the server has all it takes. The
// caller calls release exactly once when the stream ends.
func (s *streamSlots) acquire(principal string) (release func(), err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.by[principal] >= s.perPrincipal {
		return nil, &apiError{status: http.StatusTooManyRequests, code: "too_many_streams_for_principal",
			detail: fmt.Sprintf("%d event streams are open for this principal, the most one principal may hold; close one first", s.perPrincipal)}
	}
	if s.total >= s.max {
		return nil, &apiError{status: http.StatusServiceUnavailable, code: "too_many_streams",
			detail: fmt.Sprintf("%d event streams are open, the most this server takes", s.max)}
	}
	s.total++
	s.by[principal]++
	var once sync.Once
	return func() { once.Do(func() { s.release(principal) }) }, nil
}

func (s *streamSlots) release(principal string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.total--
	if s.by[principal]--; s.by[principal] <= 0 {
		delete(s.by, principal)
	}
}

// open returns how many streams are open in all.
func (s *streamSlots) open() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.total
}
