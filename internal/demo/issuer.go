// Package demo is the demo app served by `vaultgate -demo`: a tiny identity
// provider that mints ES256 JWTs for a few fixed users, and the pages that
// let a visitor sign in as one of them and press "Connect integrations".
// Sign-in either puts such a JWT in a cookie (NewApp, for vaultgate's jwt
// mode) or, like a classic server-rendered app, an opaque session id that
// only the app's "who am I" endpoint can resolve (NewSessionApp and Me, for
// forward mode). /connect stays the production handler either way.
package demo

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// Issuer is the demo identity provider: an ES256 key generated at start,
// its public half served as a JWKS over HTTP. The key lives only in memory,
// so tokens minted by an earlier run stop verifying after a restart.
type Issuer struct {
	issuer, audience string
	key              *ecdsa.PrivateKey
	kid              string
	signer           jose.Signer
	jwks             []byte
	now              func() time.Time // replaced in tests
}

// claims is the token body. The names match vaultgate's defaults for the
// consumer metadata claims (name, email, org_name) and the demo's
// CONSUMER_ID_CLAIM=org.id.
type claims struct {
	jwt.Claims
	Name    string   `json:"name,omitempty"`
	Email   string   `json:"email,omitempty"`
	Org     orgClaim `json:"org"`
	OrgName string   `json:"org_name,omitempty"`
}

type orgClaim struct {
	ID   string `json:"id"`
	Name string `json:"name,omitempty"`
}

// NewIssuer generates a fresh P-256 key for tokens with the given iss and aud.
func NewIssuer(issuer, audience string) (*Issuer, error) {
	if issuer == "" || audience == "" {
		return nil, errors.New("demo issuer: issuer and audience are required")
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("demo issuer: generate key: %w", err)
	}
	pub := jose.JSONWebKey{Key: &key.PublicKey, Algorithm: string(jose.ES256), Use: "sig"}
	// An RFC 7638 thumbprint makes a kid that changes exactly when the key does.
	tp, err := pub.Thumbprint(crypto.SHA256)
	if err != nil {
		return nil, fmt.Errorf("demo issuer: key thumbprint: %w", err)
	}
	pub.KeyID = base64.RawURLEncoding.EncodeToString(tp)

	jwks, err := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{pub}})
	if err != nil {
		return nil, fmt.Errorf("demo issuer: encode JWKS: %w", err)
	}
	signer, err := jose.NewSigner(
		jose.SigningKey{Algorithm: jose.ES256, Key: jose.JSONWebKey{Key: key, KeyID: pub.KeyID}},
		(&jose.SignerOptions{}).WithType("JWT"),
	)
	if err != nil {
		return nil, fmt.Errorf("demo issuer: signer: %w", err)
	}
	return &Issuer{
		issuer: issuer, audience: audience,
		key: key, kid: pub.KeyID, signer: signer, jwks: jwks,
		now: time.Now,
	}, nil
}

// JWKS serves {"keys":[...]} with the public key (kid, alg ES256, use sig).
func (i *Issuer) JWKS() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		// The key is fixed for the process lifetime; a short max-age still
		// lets a verifier pick up a new key after a restart quickly.
		w.Header().Set("Cache-Control", "public, max-age=60")
		_, _ = w.Write(i.jwks)
	})
}

// Mint signs a token for u that is valid for ttl from now.
func (i *Issuer) Mint(u User, ttl time.Duration) (string, error) {
	if ttl <= 0 {
		return "", errors.New("demo issuer: ttl must be positive")
	}
	if u.ID == "" || u.OrgID == "" {
		return "", errors.New("demo issuer: user id and organisation id are required")
	}
	now := i.now()
	c := claims{
		Claims: jwt.Claims{
			Issuer:    i.issuer,
			Audience:  jwt.Audience{i.audience},
			Subject:   u.ID,
			Expiry:    jwt.NewNumericDate(now.Add(ttl)),
			IssuedAt:  jwt.NewNumericDate(now),
			NotBefore: jwt.NewNumericDate(now),
		},
		Name:    u.Name,
		Email:   u.Email,
		Org:     orgClaim{ID: u.OrgID, Name: u.OrgName},
		OrgName: u.OrgName,
	}
	tok, err := jwt.Signed(i.signer).Claims(c).Serialize()
	if err != nil {
		return "", fmt.Errorf("demo issuer: sign: %w", err)
	}
	return tok, nil
}

// verify checks a token minted by this issuer (signature, iss, aud, exp,
// nbf, iat) and returns its user and expiry. The pages use it for display
// only; /connect verifies tokens on its own, through the JWKS.
func (i *Issuer) verify(raw string) (User, time.Time, error) {
	tok, err := jwt.ParseSigned(raw, []jose.SignatureAlgorithm{jose.ES256})
	if err != nil {
		return User{}, time.Time{}, fmt.Errorf("parse token: %w", err)
	}
	var c claims
	if err := tok.Claims(&i.key.PublicKey, &c); err != nil {
		return User{}, time.Time{}, fmt.Errorf("verify token: %w", err)
	}
	if c.Expiry == nil {
		return User{}, time.Time{}, errors.New("token has no exp")
	}
	want := jwt.Expected{Issuer: i.issuer, AnyAudience: jwt.Audience{i.audience}, Time: i.now()}
	if err := c.ValidateWithLeeway(want, 0); err != nil {
		return User{}, time.Time{}, fmt.Errorf("validate token: %w", err)
	}
	u := User{ID: c.Subject, Name: c.Name, Email: c.Email, OrgID: c.Org.ID, OrgName: c.OrgName}
	return u, c.Expiry.Time(), nil
}
