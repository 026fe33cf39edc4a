package demo

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"github.com/google/go-cmp/cmp"

	"github.com/vaultgate/vaultgate/internal/testkit"
)

const (
	testIssuer   = "http://127.0.0.1:1/demo"
	testAudience = "vaultgate-demo"
)

// newTestIssuer returns an issuer whose clock is fixed at now.
func newTestIssuer(t *testing.T, now time.Time) *Issuer {
	t.Helper()
	iss, err := NewIssuer(testIssuer, testAudience)
	if err != nil {
		t.Fatalf("NewIssuer: %v", err)
	}
	iss.now = func() time.Time { return now }
	return iss
}

// fetchJWKS gets the key set over HTTP, as vaultgate's verifier does.
func fetchJWKS(t *testing.T, h http.Handler) jose.JSONWebKeySet {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	res, err := srv.Client().Get(srv.URL)
	if err != nil {
		t.Fatalf("GET JWKS: %v", err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET JWKS: status %d", res.StatusCode)
	}
	if ct := res.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("JWKS Content-Type = %q, want application/json", ct)
	}
	var set jose.JSONWebKeySet
	if err := json.NewDecoder(res.Body).Decode(&set); err != nil {
		t.Fatalf("decode JWKS: %v", err)
	}
	return set
}

func TestJWKSVerifiesMintedToken(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	iss := newTestIssuer(t, now)
	set := fetchJWKS(t, iss.JWKS())

	if len(set.Keys) != 1 {
		t.Fatalf("JWKS has %d keys, want 1", len(set.Keys))
	}
	key := set.Keys[0]
	if key.KeyID == "" || key.Algorithm != "ES256" || key.Use != "sig" || !key.IsPublic() {
		t.Fatalf("JWKS key: kid=%q alg=%q use=%q public=%v; want a kid, ES256, sig, public",
			key.KeyID, key.Algorithm, key.Use, key.IsPublic())
	}

	u := User{ID: "ada", Name: "Ada Lovelace", Email: "ada@acme.example", OrgID: "org_acme", OrgName: "Acme Corp"}
	raw, err := iss.Mint(u, time.Hour)
	if err != nil {
		t.Fatalf("Mint: %v", err)
	}
	tok, err := jwt.ParseSigned(raw, []jose.SignatureAlgorithm{jose.ES256})
	if err != nil {
		t.Fatalf("ParseSigned: %v", err)
	}
	if got := tok.Headers[0].KeyID; got != key.KeyID {
		t.Errorf("token kid = %q, want the JWKS kid %q", got, key.KeyID)
	}
	var got map[string]any
	if err := tok.Claims(key.Key, &got); err != nil {
		t.Fatalf("verify with the JWKS key: %v", err)
	}
	want := map[string]any{
		"iss":      testIssuer,
		"aud":      testAudience,
		"sub":      "ada",
		"iat":      float64(now.Unix()),
		"nbf":      float64(now.Unix()),
		"exp":      float64(now.Add(time.Hour).Unix()),
		"name":     "Ada Lovelace",
		"email":    "ada@acme.example",
		"org":      map[string]any{"id": "org_acme", "name": "Acme Corp"},
		"org_name": "Acme Corp",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("claims (-want +got):\n%s", diff)
	}

	// A key from another issuer must not verify it: the check above can fail.
	other := newTestIssuer(t, now)
	if err := tok.Claims(&other.key.PublicKey, &got); err == nil {
		t.Error("token verified with an unrelated key")
	}
}

func TestJWKSMethods(t *testing.T) {
	iss := newTestIssuer(t, time.Now())
	tests := []struct {
		method string
		want   int
	}{
		{http.MethodGet, http.StatusOK},
		{http.MethodHead, http.StatusOK},
		{http.MethodPost, http.StatusMethodNotAllowed},
		{http.MethodDelete, http.StatusMethodNotAllowed},
	}
	for _, tt := range tests {
		t.Run(tt.method, func(t *testing.T) {
			rec := httptest.NewRecorder()
			iss.JWKS().ServeHTTP(rec, httptest.NewRequest(tt.method, "/jwks.json", nil))
			if rec.Code != tt.want {
				t.Errorf("status = %d, want %d", rec.Code, tt.want)
			}
		})
	}
}

func TestNewIssuerRequiresIssuerAndAudience(t *testing.T) {
	tests := []struct{ name, issuer, audience string }{
		{"no issuer", "", "aud"},
		{"no audience", "iss", ""},
		{"neither", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := NewIssuer(tt.issuer, tt.audience); err == nil {
				t.Error("NewIssuer succeeded, want an error")
			}
		})
	}
}

func TestMintRejects(t *testing.T) {
	iss := newTestIssuer(t, time.Now())
	ok := Users()[0]
	tests := []struct {
		name string
		u    User
		ttl  time.Duration
	}{
		{"zero ttl", ok, 0},
		{"negative ttl", ok, -time.Minute},
		{"no user id", User{OrgID: "org_acme"}, time.Hour},
		{"no org id", User{ID: "ada"}, time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tok, err := iss.Mint(tt.u, tt.ttl); err == nil {
				t.Errorf("Mint = %d chars, want an error", len(tok))
			}
		})
	}
}

func TestVerify(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	iss := newTestIssuer(t, now)
	u := Users()[2]

	mintWith := func(t *testing.T, i *Issuer, at time.Time) string {
		t.Helper()
		clone := *i
		clone.now = func() time.Time { return at }
		tok, err := clone.Mint(u, time.Hour)
		if err != nil {
			t.Fatalf("Mint: %v", err)
		}
		return tok
	}
	otherAudience := *iss
	otherAudience.audience = "someone-else"
	otherIssuer := *iss
	otherIssuer.issuer = "http://127.0.0.1:1/other"

	tests := []struct {
		name    string
		token   string
		wantErr bool
	}{
		{"valid", mintWith(t, iss, now), false},
		{"expired", mintWith(t, iss, now.Add(-2*time.Hour)), true},
		{"not yet valid", mintWith(t, iss, now.Add(time.Hour)), true},
		{"other key", mintWith(t, newTestIssuer(t, now), now), true},
		{"other audience", mintWith(t, &otherAudience, now), true},
		{"other issuer", mintWith(t, &otherIssuer, now), true},
		{"garbage", "not-a-jwt", true},
		{"empty", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, exp, err := iss.verify(tt.token)
			if tt.wantErr {
				if err == nil {
					t.Fatal("verify succeeded, want an error")
				}
				return
			}
			if err != nil {
				t.Fatalf("verify: %v", err)
			}
			if diff := cmp.Diff(u, got); diff != "" {
				t.Errorf("user (-want +got):\n%s", diff)
			}
			if !exp.Equal(now.Add(time.Hour)) {
				t.Errorf("expiry = %v, want %v", exp, now.Add(time.Hour))
			}
		})
	}
}

// The verifier must require exp, as vaultgate's does.
func TestVerifyRequiresExpiry(t *testing.T) {
	iss := newTestIssuer(t, time.Now())
	raw := testkit.Sign(t, jose.ES256, iss.key, iss.kid, jwt.Claims{
		Issuer: testIssuer, Audience: jwt.Audience{testAudience}, Subject: "ada",
	})
	if _, _, err := iss.verify(raw); err == nil || errors.Is(err, jwt.ErrExpired) {
		t.Errorf("verify = %v, want a missing-exp error", err)
	}
}
