package httpapi

import "net/http"

// checkpoint serves the latest signed checkpoint (C2SP tlog-checkpoint) as
// the sealer published it, byte for byte, so that witnesses and monitors
// read what the ledger signed. It is public: a checkpoint carries the log's
// size and root only, and whoever audits the ledger must be able to fetch
// it without an account the operator could revoke.
func (s *Server) checkpoint(w http.ResponseWriter, r *http.Request) {
	var text []byte
	ok := false
	if s.cfg.Checkpoint != nil {
		text, ok = s.cfg.Checkpoint()
	}
	if !ok {
		writeProblem(w, r, notFound("no_checkpoint", "this server has no checkpoint to serve: it seals with no key, or has not sealed yet"))
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(text)
}
