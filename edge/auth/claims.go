package auth

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/disputes-ledger/disputes/events"
)

// Claims are the JWT claims the verifier reads. Role is a private claim.
//
// Claim names are case-sensitive (RFC 7519 §10.1.1) and read exactly. A
// token whose claims spell a name this package reads in another case
// ("ROLE", "Sub", "ſub") or list a name twice is refused outright, rather
// than either spelling being picked: the two parties that read a token must
// never disagree on who it names. Other claims are ignored.
type Claims struct {
	Subject   string          `json:"sub"`
	Role      events.Role     `json:"role"`
	Issuer    string          `json:"iss,omitempty"`
	Audience  json.RawMessage `json:"aud,omitempty"`
	ExpiresAt *int64          `json:"exp,omitempty"`
	NotBefore *int64          `json:"nbf,omitempty"`
	IssuedAt  *int64          `json:"iat,omitempty"`
}

// claimNames are the claims Claims reads.
var claimNames = []string{"sub", "role", "iss", "aud", "exp", "nbf", "iat"}

// maxNumericDate bounds a NumericDate (about the year 36800), so converting
// it to time.Time can neither overflow nor wrap.
const maxNumericDate = 1 << 40

// UnmarshalJSON reads a claims object with exact-case names and refuses
// duplicates and case variants of the names it reads.
func (c *Claims) UnmarshalJSON(data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return errors.New("claims are not a JSON object")
	}
	var out Claims
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return fmt.Errorf("claims: %w", err)
		}
		name, _ := tok.(string)
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return fmt.Errorf("claim %q: %w", name, err)
		}
		if seen[name] {
			return fmt.Errorf("claim %q is given twice", name)
		}
		seen[name] = true
		if err := out.set(name, raw); err != nil {
			return err
		}
	}
	if _, err := dec.Token(); err != nil {
		return fmt.Errorf("claims: %w", err)
	}
	*c = out
	return nil
}

func (c *Claims) set(name string, raw json.RawMessage) error {
	var err error
	switch name {
	case "sub":
		err = json.Unmarshal(raw, &c.Subject)
	case "role":
		err = json.Unmarshal(raw, &c.Role)
	case "iss":
		err = json.Unmarshal(raw, &c.Issuer)
	case "aud":
		var aud jwt.ClaimStrings
		if err = json.Unmarshal(raw, &aud); err == nil {
			c.Audience = raw
		}
	case "exp":
		c.ExpiresAt, err = numericDate(raw, math.Floor)
	case "nbf":
		c.NotBefore, err = numericDate(raw, math.Ceil)
	case "iat":
		c.IssuedAt, err = numericDate(raw, math.Ceil)
	default:
		for _, known := range claimNames {
			if strings.EqualFold(name, known) {
				return fmt.Errorf("claim %q is not %q: claim names are case-sensitive", name, known)
			}
		}
		return nil
	}
	if err != nil {
		return fmt.Errorf("claim %q: %w", name, err)
	}
	return nil
}

// numericDate reads a NumericDate (seconds, possibly fractional) and rounds
// it to whole seconds the safe way: an expiry down, a start up.
func numericDate(raw json.RawMessage, round func(float64) float64) (*int64, error) {
	// A float64 target takes JSON numbers only, never a quoted one.
	var f float64
	if err := json.Unmarshal(raw, &f); err != nil {
		return nil, errors.New("not a number")
	}
	if f < 0 || f > maxNumericDate {
		return nil, fmt.Errorf("%s is not a date between 1970 and the year 36000", raw)
	}
	s := int64(round(f))
	return &s, nil
}

func dateOf(s *int64) *jwt.NumericDate {
	if s == nil {
		return nil
	}
	return jwt.NewNumericDate(time.Unix(*s, 0))
}

// GetExpirationTime implements jwt.Claims.
func (c Claims) GetExpirationTime() (*jwt.NumericDate, error) { return dateOf(c.ExpiresAt), nil }

// GetIssuedAt implements jwt.Claims.
func (c Claims) GetIssuedAt() (*jwt.NumericDate, error) { return dateOf(c.IssuedAt), nil }

// GetNotBefore implements jwt.Claims.
func (c Claims) GetNotBefore() (*jwt.NumericDate, error) { return dateOf(c.NotBefore), nil }

// GetIssuer implements jwt.Claims.
func (c Claims) GetIssuer() (string, error) { return c.Issuer, nil }

// GetSubject implements jwt.Claims.
func (c Claims) GetSubject() (string, error) { return c.Subject, nil }

// GetAudience implements jwt.Claims.
func (c Claims) GetAudience() (jwt.ClaimStrings, error) {
	if len(c.Audience) == 0 {
		return nil, nil
	}
	var aud jwt.ClaimStrings
	if err := json.Unmarshal(c.Audience, &aud); err != nil {
		return nil, fmt.Errorf("claim \"aud\": %w", err)
	}
	return aud, nil
}
