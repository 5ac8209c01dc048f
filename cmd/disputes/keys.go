package main

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/disputes-ledger/disputes/audit/checkpoint"
	"github.com/disputes-ledger/disputes/audit/seal"
)

// signingKeyEnv holds the seal signing key as the base64 of its 32-byte seed.
const signingKeyEnv = "DISPUTES_SIGNING_KEY"

// keyFlags choose the seal signing key: a PEM file or the environment, never
// the ledger, so that whoever can write the ledger cannot re-sign it.
type keyFlags struct {
	Key string `name:"key" placeholder:"FILE" help:"seal signing key, PEM PKCS #8 Ed25519 (default: env DISPUTES_SIGNING_KEY, base64 seed)"`
}

// configured reports whether a signing key was given at all.
func (k *keyFlags) configured() bool { return k.Key != "" || os.Getenv(signingKeyEnv) != "" }

// load reads the signing key from the file or, without one, the environment.
func (k *keyFlags) load() (ed25519.PrivateKey, error) {
	if k.Key != "" {
		data, err := os.ReadFile(k.Key)
		if err != nil {
			return nil, fmt.Errorf("read signing key: %w", err)
		}
		priv, err := seal.ParsePrivateKeyPEM(data)
		if err != nil {
			return nil, fmt.Errorf("signing key %s: %w", k.Key, err)
		}
		return priv, nil
	}
	if v := os.Getenv(signingKeyEnv); v != "" {
		priv, err := seal.ParsePrivateKeySeed(v)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", signingKeyEnv, err)
		}
		return priv, nil
	}
	return nil, fmt.Errorf("%w: no signing key: pass --key FILE or set %s (create one with 'disputes keys --generate FILE')", errUsage, signingKeyEnv)
}

// pinFlags choose the public key an auditor trusts.
type pinFlags struct {
	PublicKey string `name:"public-key" placeholder:"FILE" help:"trusted seal public key, PEM (as 'disputes keys --out' writes it)"`
	KeyID     string `name:"key-id" placeholder:"ID" help:"trusted seal key fingerprint (ed25519:…), as 'disputes keys' prints it"`
}

// load returns the pinned key (nil if only a fingerprint or nothing is pinned).
func (p *pinFlags) load() (ed25519.PublicKey, error) {
	if p.PublicKey == "" {
		return nil, nil
	}
	data, err := os.ReadFile(p.PublicKey)
	if err != nil {
		return nil, fmt.Errorf("read public key: %w", err)
	}
	pub, err := seal.ParsePublicKeyPEM(data)
	if err != nil {
		return nil, fmt.Errorf("public key %s: %w", p.PublicKey, err)
	}
	if p.KeyID != "" && seal.KeyID(pub) != p.KeyID {
		return nil, fmt.Errorf("%w: --public-key is %s, --key-id says %s", errUsage, seal.KeyID(pub), p.KeyID)
	}
	return pub, nil
}

type keyInfo struct {
	KeyID string `json:"key_id"`
	// Origin names the ledger's checkpoints and NoteVerifierKey is the
	// string a witness or monitor verifies them with.
	Origin          string `json:"origin"`
	NoteVerifierKey string `json:"note_verifier_key"`
	PublicKeyPEM    string `json:"public_key_pem"`
	PrivateFile     string `json:"private_key_file,omitempty"`
	PublicFile      string `json:"public_key_file,omitempty"`
}

// keysCmd is `disputes keys`.
type keysCmd struct {
	keyFlags
	Origin   string `name:"origin" env:"DISPUTES_ORIGIN" placeholder:"O" help:"checkpoint origin the ledger seals under (default: disputes-ledger/<key fingerprint>)"`
	Generate string `name:"generate" placeholder:"FILE" help:"create a new signing key in FILE (mode 0600; never overwrites)"`
	Out      string `name:"out" placeholder:"PUBLIC.pem" help:"also write the public key, PEM, to this file for auditors"`
	JSON     bool   `name:"json" help:"print JSON"`
}

func (c *keysCmd) Run(_ context.Context, e env) error {
	kf := c.keyFlags
	origin, generate, out, asJSON := &c.Origin, &c.Generate, &c.Out, &c.JSON
	var (
		priv ed25519.PrivateKey
		info keyInfo
	)
	if *generate != "" {
		if kf.Key != "" {
			return fmt.Errorf("%w: --generate and --key are exclusive", errUsage)
		}
		_, p, err := seal.GenerateKey(nil)
		if err != nil {
			return err
		}
		pemData, err := seal.MarshalPrivateKeyPEM(p)
		if err != nil {
			return err
		}
		if err := writeNew(*generate, pemData, 0o600); err != nil {
			return fmt.Errorf("write signing key: %w", err)
		}
		priv, info.PrivateFile = p, *generate
	} else {
		p, err := kf.load()
		if err != nil {
			return err
		}
		priv = p
	}
	pub := priv.Public().(ed25519.PublicKey)
	pubPEM, err := seal.MarshalPublicKeyPEM(pub)
	if err != nil {
		return err
	}
	info.KeyID, info.PublicKeyPEM, info.Origin = seal.KeyID(pub), string(pubPEM), *origin
	if info.Origin == "" {
		info.Origin = checkpoint.DefaultOrigin(pub)
	}
	if info.NoteVerifierKey, err = checkpoint.VerifierKey(info.Origin, pub); err != nil {
		return fmt.Errorf("%w: --origin: %v", errUsage, err)
	}
	if *out != "" {
		if err := os.WriteFile(*out, pubPEM, 0o644); err != nil {
			return fmt.Errorf("write public key: %w", err)
		}
		info.PublicFile = *out
	}
	if *asJSON {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(info)
	}
	if info.PrivateFile != "" {
		fmt.Fprintf(e.stdout, "new signing key written to %s (keep it secret, outside the ledger)\n", info.PrivateFile)
	}
	fmt.Fprintf(e.stdout, "key id    %s\norigin    %s\nnote key  %s\n\n%s", info.KeyID, info.Origin, info.NoteVerifierKey, info.PublicKeyPEM)
	if info.PublicFile != "" {
		fmt.Fprintf(e.stdout, "\npublic key written to %s\n", info.PublicFile)
	}
	return nil
}

// writeNew creates path with data, refusing to replace an existing file.
func writeNew(path string, data []byte, perm fs.FileMode) (err error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			err = errors.Join(err, os.Remove(path))
		}
	}()
	_, err = f.Write(data)
	return err
}
