package simulator

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// ErrInvalidToken is returned by VerifyToken for a token that is malformed,
// not signed by this simulator, or expired.
var ErrInvalidToken = errors.New("simulator: invalid or expired session token")

// Claims is what a simulated session token carries: the request that
// created the session plus its lifetime.
type Claims struct {
	ConsumerID             string            `json:"consumer_id"`
	ApplicationID          string            `json:"application_id"`
	ConsumerMetadata       *ConsumerMetadata `json:"consumer_metadata,omitempty"`
	Settings               Settings          `json:"settings"` // UnifiedAPIs filled with all when omitted
	Theme                  *Theme            `json:"theme,omitempty"`
	RedirectURI            string            `json:"redirect_uri,omitempty"`
	CustomConsumerSettings map[string]any    `json:"custom_consumer_settings,omitempty"`
	IssuedAt               time.Time         `json:"-"`
	ExpiresAt              time.Time         `json:"-"`
}

// payload is the JWT claims set: Claims plus the registered claims.
type payload struct {
	Claims
	IAT int64  `json:"iat"`
	EXP int64  `json:"exp"`
	JTI string `json:"jti"`
}

// issue signs a session token for in, valid from now for in.length.
func (s *Simulator) issue(in sessionInput, now time.Time) (string, error) {
	req := in.request
	p := payload{
		Claims: Claims{
			ConsumerID:             in.consumerID,
			ApplicationID:          s.appID,
			ConsumerMetadata:       req.ConsumerMetadata,
			Theme:                  req.Theme,
			RedirectURI:            req.RedirectURI,
			CustomConsumerSettings: req.CustomConsumerSettings,
		},
		IAT: now.Unix(),
		EXP: now.Add(in.length).Unix(),
		JTI: rand.Text(),
	}
	if req.Settings != nil {
		p.Settings = *req.Settings
	}
	// encoding/json rather than go-jose's JWT builder: the builder's JSON
	// package predates omitzero, which Settings relies on to tell
	// an omitted allow_actions from an empty one.
	body, err := json.Marshal(p)
	if err != nil {
		return "", fmt.Errorf("encode claims: %w", err)
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: s.key},
		(&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		return "", fmt.Errorf("signer: %w", err)
	}
	jws, err := signer.Sign(body)
	if err != nil {
		return "", fmt.Errorf("sign: %w", err)
	}
	return jws.CompactSerialize()
}

// VerifyToken checks a session token's signature and expiry and returns its
// claims. Tests use it to see what a
// session carries.
func (s *Simulator) VerifyToken(token string) (Claims, error) {
	jws, err := jose.ParseSignedCompact(token, []jose.SignatureAlgorithm{jose.ES256})
	if err != nil {
		return Claims{}, ErrInvalidToken
	}
	body, err := jws.Verify(&s.key.PublicKey)
	if err != nil {
		return Claims{}, ErrInvalidToken
	}
	var p payload
	if err := json.Unmarshal(body, &p); err != nil || p.EXP == 0 {
		return Claims{}, ErrInvalidToken
	}
	exp := time.Unix(p.EXP, 0)
	if !time.Now().Before(exp) {
		return Claims{}, ErrInvalidToken
	}
	c := p.Claims
	c.IssuedAt = time.Unix(p.IAT, 0).UTC()
	c.ExpiresAt = exp.UTC()
	return c, nil
}
