package main

import (
	"context"
	"crypto/ed25519"
	"log/slog"
	"net/http"

	"github.com/disputes-ledger/disputes/domain/policy"
	"github.com/disputes-ledger/disputes/edge/console"
	"github.com/disputes-ledger/disputes/edge/httpapi"
)

// mountConsole serves the browser console under /console/ beside api, on
// the API's authentication, read model and command handler, and redirects
// GET / to it. The auditor page reads the ledger's raw log and seals
// through a read-only audit reader, pinned to the signing key when this
// server seals. The returned function closes that reader.
func mountConsole(ctx context.Context, api http.Handler, cfg httpapi.Config, sf storeFlags, kf keyFlags,
	pol policy.Policy, logger *slog.Logger) (http.Handler, func(), error) {
	ccfg := console.Config{Store: cfg.Store, Handler: cfg.Handler, Auth: cfg.Auth, Reads: cfg.Reads, Events: api, Policy: pol,
		Now: cfg.Now, Logger: logger.With("component", "console"), CommandTimeout: cfg.CommandTimeout}
	closeAudit := func() {}
	if raw, err := sf.openAudit(ctx); err != nil {
		logger.Warn("console: the auditor page is off: the ledger's audit reader did not open", "err", err)
	} else {
		closeAudit = func() { _ = raw.Close() }
		src := &console.AuditSource{Log: raw, Seals: raw}
		if src.Policies, err = knownPolicies(&sf); err != nil {
			closeAudit()
			return nil, nil, err
		}
		if kf.configured() {
			key, err := kf.load()
			if err != nil {
				closeAudit()
				return nil, nil, err
			}
			src.PublicKey = key.Public().(ed25519.PublicKey)
		}
		ccfg.Audit = src
	}
	con, err := console.New(ccfg)
	if err != nil {
		closeAudit()
		return nil, nil, err
	}
	return console.Mount(api, con), closeAudit, nil
}
