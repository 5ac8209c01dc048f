package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/disputes-ledger/disputes/edge/auth"
)

// validate checks the authentication flags before anything is opened.
func (f serveFlags) validate() error {
	if f.JWTMaxLifetime <= 0 {
		return fmt.Errorf("%w: --jwt-max-lifetime must be positive", errUsage)
	}
	if f.JWTLeeway < 0 || f.JWTLeeway > auth.MaxLeeway {
		return fmt.Errorf("%w: --jwt-leeway must be between 0 and %s", errUsage, auth.MaxLeeway)
	}
	if f.ReloadEvery <= 0 || f.ReloadEvery > time.Minute {
		return fmt.Errorf("%w: --reload-every must be between 0 and 1m", errUsage)
	}
	return nil
}

// reloader is a file-backed set kept current while the server runs.
type reloader interface {
	Run(ctx context.Context, interval time.Duration, signals <-chan os.Signal)
}

// authenticator builds the token checks from the flags: at least one kind
// of token must be configured. The token file and the key files are each
// watched by a reloader the caller runs, so a revoked token or a rotated
// key takes effect without a restart.
func (f serveFlags) authenticator(logger *slog.Logger) (auth.Authenticator, []reloader, error) {
	var (
		chain     auth.Chain
		reloaders []reloader
	)
	if f.Tokens != "" {
		tokens, err := auth.NewReloader("tokens", []string{f.Tokens}, func(c [][]byte) (*auth.TokenSet, error) {
			set, err := auth.ParseTokenFile(c[0])
			if err != nil {
				return nil, fmt.Errorf("%s: %w", f.Tokens, err)
			}
			return set, nil
		}, logger)
		if err != nil {
			return nil, nil, err
		}
		chain.Tokens = tokens
		reloaders = append(reloaders, tokens)
	}
	files := auth.KeyFiles{JWKS: f.JWTJWKS, HS256Secret: f.JWTHMACSecret, Ed25519PEM: f.JWTEd25519Key}
	if len(files.Paths()) > 0 {
		keys, err := auth.NewReloader("jwt keys", files.Paths(), files.Parse, logger)
		if err != nil {
			return nil, nil, err
		}
		chain.JWT = &auth.JWTVerifier{Keys: keys, Issuer: f.JWTIssuer, Audience: f.JWTAudience,
			Leeway: f.JWTLeeway, MaxLifetime: f.JWTMaxLifetime}
		reloaders = append(reloaders, keys)
	}
	if chain.Tokens == nil && chain.JWT == nil {
		return nil, nil, fmt.Errorf("%w: no way to authenticate: give --tokens FILE (create one with 'disputes tokens add') or a JWT key (--jwt-jwks, --jwt-hmac-secret, --jwt-ed25519-key)", errUsage)
	}
	return chain, reloaders, nil
}

// startReloaders runs each reloader until ctx ends, polling every interval
// and reloading at once on SIGHUP.
func startReloaders(ctx context.Context, wg *sync.WaitGroup, reloaders []reloader, every time.Duration) {
	for _, r := range reloaders {
		hup := make(chan os.Signal, 1)
		signal.Notify(hup, syscall.SIGHUP)
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer signal.Stop(hup)
			r.Run(ctx, every, hup)
		}()
	}
}
