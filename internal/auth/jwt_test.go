package auth

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"strconv"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/google/go-cmp/cmp"

	"github.com/vaultgate/vaultgate/internal/testkit"
)

const testHMACSecret = "test-hs256-secret-0123456789abcdef"

func TestVerify(t *testing.T) {
	keys := testkit.NewKeys(t)
	srv := newIDServer(t, keys.JWKS())
	// Every case runs in a synctest bubble, whose clock stands still at
	// this instant: the skew boundaries below are exact.
	now := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

	verifiers := map[string]*JWT{
		"jwks": startJWT(t, jwksConfig(srv.url()), inMemory(srv)).v,
		"hs":   startJWT(t, hmacConfig(), nil).v,
		// A JWKS verifier whose allow-list wrongly includes HS256 (config
		// refuses this; the verifier must still resist alg confusion).
		"mixed": startJWT(t, func() JWTConfig {
			c := jwksConfig(srv.url())
			c.Algorithms = []string{"RS256", "HS256"}
			return c
		}(), inMemory(srv)).v,
		// An empty allow-list allows nothing (golang-jwt would allow all).
		"none allowed": startJWT(t, func() JWTConfig {
			c := hmacConfig()
			c.Algorithms = nil
			return c
		}(), nil).v,
	}

	rsaDER, err := x509.MarshalPKIXPublicKey(keys.RSA.Public())
	if err != nil {
		t.Fatal(err)
	}
	rsaPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: rsaDER})
	otherEC, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	at := func(edit func(map[string]any)) map[string]any { return claimsAt(now, edit) }
	payloadOf := func(c map[string]any) string {
		b, err := json.Marshal(c)
		if err != nil {
			t.Fatal(err)
		}
		return base64.RawURLEncoding.EncodeToString(b)
	}
	segments := func(tok string) []string { return strings.Split(tok, ".") }

	tests := []struct {
		name     string
		verifier string
		token    func(t *testing.T) string
		reason   string // "" = valid
	}{
		{"RS256", "jwks", func(t *testing.T) string { return testkit.Sign(t, jose.RS256, keys.RSA, "rsa-1", at(nil)) }, ""},
		{"ES256", "jwks", func(t *testing.T) string { return testkit.Sign(t, jose.ES256, keys.EC, "ec-1", at(nil)) }, ""},
		{"EdDSA", "jwks", func(t *testing.T) string { return testkit.Sign(t, jose.EdDSA, keys.Ed, "ed-1", at(nil)) }, ""},
		{"HS256", "hs", func(t *testing.T) string { return testkit.Sign(t, jose.HS256, []byte(testHMACSecret), "", at(nil)) }, ""},
		{"no kid tries the keys that fit", "jwks", func(t *testing.T) string { return testkit.Sign(t, jose.ES256, keys.EC, "", at(nil)) }, ""},
		{"aud array containing ours", "jwks", func(t *testing.T) string {
			return testkit.Sign(t, jose.RS256, keys.RSA, "rsa-1", at(func(c map[string]any) { c["aud"] = []string{"other", testAudience} }))
		}, ""},
		{"expired", "jwks", func(t *testing.T) string {
			return testkit.Sign(t, jose.RS256, keys.RSA, "rsa-1", at(func(c map[string]any) { c["exp"] = now.Add(-31 * time.Second).Unix() }))
		}, ReasonExpired},
		{"expired within skew", "jwks", func(t *testing.T) string {
			return testkit.Sign(t, jose.RS256, keys.RSA, "rsa-1", at(func(c map[string]any) { c["exp"] = now.Add(-29 * time.Second).Unix() }))
		}, ""},
		{"nbf beyond skew", "jwks", func(t *testing.T) string {
			return testkit.Sign(t, jose.RS256, keys.RSA, "rsa-1", at(func(c map[string]any) { c["nbf"] = now.Add(31 * time.Second).Unix() }))
		}, ReasonNotYetValid},
		{"nbf within skew", "jwks", func(t *testing.T) string {
			return testkit.Sign(t, jose.RS256, keys.RSA, "rsa-1", at(func(c map[string]any) { c["nbf"] = now.Add(29 * time.Second).Unix() }))
		}, ""},
		{"iat beyond skew", "jwks", func(t *testing.T) string {
			return testkit.Sign(t, jose.RS256, keys.RSA, "rsa-1", at(func(c map[string]any) { c["iat"] = now.Add(31 * time.Second).Unix() }))
		}, ReasonNotYetValid},
		{"iat within skew", "jwks", func(t *testing.T) string {
			return testkit.Sign(t, jose.RS256, keys.RSA, "rsa-1", at(func(c map[string]any) { c["iat"] = now.Add(29 * time.Second).Unix() }))
		}, ""},
		{"wrong iss", "jwks", func(t *testing.T) string {
			return testkit.Sign(t, jose.RS256, keys.RSA, "rsa-1", at(func(c map[string]any) { c["iss"] = "https://evil.test" }))
		}, ReasonIssuer},
		{"missing iss", "jwks", func(t *testing.T) string {
			return testkit.Sign(t, jose.RS256, keys.RSA, "rsa-1", at(func(c map[string]any) { delete(c, "iss") }))
		}, ReasonIssuer},
		{"wrong aud", "jwks", func(t *testing.T) string {
			return testkit.Sign(t, jose.RS256, keys.RSA, "rsa-1", at(func(c map[string]any) { c["aud"] = "someone-else" }))
		}, ReasonAudience},
		{"aud array without ours", "jwks", func(t *testing.T) string {
			return testkit.Sign(t, jose.RS256, keys.RSA, "rsa-1", at(func(c map[string]any) { c["aud"] = []string{"a", "b"} }))
		}, ReasonAudience},
		{"aud array with a number", "jwks", func(t *testing.T) string {
			return testkit.Sign(t, jose.RS256, keys.RSA, "rsa-1", at(func(c map[string]any) { c["aud"] = []any{testAudience, 1} }))
		}, ReasonMalformed},
		{"missing exp", "jwks", func(t *testing.T) string {
			return testkit.Sign(t, jose.RS256, keys.RSA, "rsa-1", at(func(c map[string]any) { delete(c, "exp") }))
		}, ReasonMalformed},
		{"exp as string", "jwks", func(t *testing.T) string {
			return testkit.Sign(t, jose.RS256, keys.RSA, "rsa-1", at(func(c map[string]any) { c["exp"] = strconv.FormatInt(now.Add(time.Hour).Unix(), 10) }))
		}, ReasonMalformed},
		{"exp absurdly large", "jwks", func(t *testing.T) string {
			return testkit.Sign(t, jose.RS256, keys.RSA, "rsa-1", at(func(c map[string]any) { c["exp"] = 1e300 }))
		}, ReasonMalformed},
		{"missing sub", "jwks", func(t *testing.T) string {
			return testkit.Sign(t, jose.RS256, keys.RSA, "rsa-1", at(func(c map[string]any) { delete(c, "sub") }))
		}, ReasonMalformed},
		{"empty sub", "jwks", func(t *testing.T) string {
			return testkit.Sign(t, jose.RS256, keys.RSA, "rsa-1", at(func(c map[string]any) { c["sub"] = "" }))
		}, ReasonMalformed},
		{"numeric sub", "jwks", func(t *testing.T) string {
			return testkit.Sign(t, jose.RS256, keys.RSA, "rsa-1", at(func(c map[string]any) { c["sub"] = 42 }))
		}, ReasonMalformed},
		{"alg none", "jwks", func(t *testing.T) string {
			return rawToken(`{"alg":"none","typ":"JWT"}`, string(mustJSON(t, at(nil))), "")
		}, ReasonAlgorithm},
		{"alg none with kid", "jwks", func(t *testing.T) string {
			return rawToken(`{"alg":"none","kid":"rsa-1"}`, string(mustJSON(t, at(nil))), "")
		}, ReasonAlgorithm},
		{"alg not in allow-list", "jwks", func(t *testing.T) string { return testkit.Sign(t, jose.RS384, keys.RSA, "rsa-1", at(nil)) }, ReasonAlgorithm},
		{"RS256 to the HS256 verifier", "hs", func(t *testing.T) string { return testkit.Sign(t, jose.RS256, keys.RSA, "", at(nil)) }, ReasonAlgorithm},
		{"HS256 with wrong secret", "hs", func(t *testing.T) string {
			return testkit.Sign(t, jose.HS256, []byte("another-secret-0123456789abcdefgh"), "", at(nil))
		}, ReasonSignature},
		{"HS256 signed with RSA public key PEM", "jwks", func(t *testing.T) string { return testkit.Sign(t, jose.HS256, rsaPEM, "rsa-1", at(nil)) }, ReasonAlgorithm},
		{"HS256 signed with RSA public key PEM, HS256 allowed", "mixed", func(t *testing.T) string { return testkit.Sign(t, jose.HS256, rsaPEM, "rsa-1", at(nil)) }, ReasonSignature},
		{"HS256 signed with RSA public key DER, HS256 allowed", "mixed", func(t *testing.T) string { return testkit.Sign(t, jose.HS256, rsaDER, "rsa-1", at(nil)) }, ReasonSignature},
		{"HS256 signed with RSA public key PEM, no kid", "mixed", func(t *testing.T) string { return testkit.Sign(t, jose.HS256, rsaPEM, "", at(nil)) }, ReasonSignature},
		{"unknown kid", "jwks", func(t *testing.T) string { return testkit.Sign(t, jose.RS256, keys.RSA, "rsa-unknown", at(nil)) }, ReasonSignature},
		{"kid of a key of another type", "jwks", func(t *testing.T) string { return testkit.Sign(t, jose.ES256, keys.EC, "rsa-1", at(nil)) }, ReasonSignature},
		{"signed by a stranger's key", "jwks", func(t *testing.T) string { return testkit.Sign(t, jose.ES256, otherEC, "ec-1", at(nil)) }, ReasonSignature},
		{"tampered payload", "jwks", func(t *testing.T) string {
			s := segments(testkit.Sign(t, jose.RS256, keys.RSA, "rsa-1", at(nil)))
			s[1] = payloadOf(at(func(c map[string]any) { c["sub"] = "admin" }))
			return strings.Join(s, ".")
		}, ReasonSignature},
		{"tampered signature", "jwks", func(t *testing.T) string {
			s := segments(testkit.Sign(t, jose.ES256, keys.EC, "ec-1", at(nil)))
			other := segments(testkit.Sign(t, jose.ES256, keys.EC, "ec-1", at(func(c map[string]any) { c["sub"] = "x" })))
			s[2] = other[2]
			return strings.Join(s, ".")
		}, ReasonSignature},
		{"crit: an extension we do not understand", "jwks", func(t *testing.T) string {
			return signWith(t, jose.RS256, keys.RSA, (&jose.SignerOptions{}).WithHeader("kid", "rsa-1").WithCritical("exp"), at(nil))
		}, ReasonSignature},
		{"b64 false: an unencoded payload (RFC 7797)", "hs", func(t *testing.T) string {
			return signWith(t, jose.HS256, []byte(testHMACSecret), (&jose.SignerOptions{}).WithBase64(false), at(nil))
		}, ReasonSignature},
		{"kid not a string", "jwks", func(t *testing.T) string {
			return signWith(t, jose.RS256, keys.RSA, (&jose.SignerOptions{}).WithHeader("kid", 1), at(nil))
		}, ReasonMalformed},
		{"empty allow-list", "none allowed", func(t *testing.T) string {
			return testkit.Sign(t, jose.HS256, []byte(testHMACSecret), "", at(nil))
		}, ReasonAlgorithm},
		{"payload is an array", "hs", func(t *testing.T) string {
			return testkit.Sign(t, jose.HS256, []byte(testHMACSecret), "", []byte(`["sub"]`))
		}, ReasonMalformed},
		{"payload with trailing data", "hs", func(t *testing.T) string {
			return testkit.Sign(t, jose.HS256, []byte(testHMACSecret), "", append(mustJSON(t, at(nil)), []byte(` {}`)...))
		}, ReasonMalformed},
		{"garbage", "jwks", func(*testing.T) string { return "not-a-jwt" }, ReasonMalformed},
		{"empty", "jwks", func(*testing.T) string { return "" }, ReasonMalformed},
		{"JSON serialization", "jwks", func(*testing.T) string { return `{"payload":"e30","signatures":[]}` }, ReasonMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				if !time.Now().Equal(now) {
					t.Fatalf("bubble clock at %v, want %v", time.Now(), now)
				}
				tok := tt.token(t)
				id, err := check(verifiers[tt.verifier], tok)
				if tt.reason == "" {
					if err != nil {
						t.Fatalf("Verify: %v", err)
					}
					if id.Subject != testSubject {
						t.Errorf("Subject = %q, want %q", id.Subject, testSubject)
					}
					org, _ := id.Claims["org"].(map[string]any)
					if diff := cmp.Diff(json.Number("9007199254740993"), org["id"]); diff != "" {
						t.Errorf("integer claim not exact (-want +got):\n%s", diff)
					}
					return
				}
				if !errors.Is(err, ErrUnauthenticated) {
					t.Fatalf("err = %v, want ErrUnauthenticated", err)
				}
				if got := reasonOf(err); got != tt.reason {
					t.Errorf("reason = %q, want %q (err %v)", got, tt.reason, err)
				}
				if ae, _ := errors.AsType[*Error](err); !ae.Token {
					t.Error("a presented token's refusal does not say so (Token = false)")
				}
				assertNoLeak(t, err.Error(), tok)
			})
		})
	}
}

// A wrong issuer or audience is logged at info with the values that came,
// at most once a minute each; never the token.
func TestIssuerAudienceMismatchLogged(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := startJWT(t, hmacConfig(), nil)
		sign := func(edit func(map[string]any)) string {
			return testkit.Sign(t, jose.HS256, []byte(testHMACSecret), "", claimsAt(time.Now(), edit))
		}
		wrongIss := sign(func(c map[string]any) { c["iss"] = "https://staging-idp.test" })
		wrongAud := sign(func(c map[string]any) { c["aud"] = []string{"api://other", "web"} })
		for range 3 {
			for _, tok := range []string{wrongIss, wrongAud} {
				if _, err := check(h.v, tok); err == nil {
					t.Fatal("mismatched token accepted")
				}
			}
		}
		want := []map[string]any{
			{"level": "info", "component": "jwt", "expected_issuer": testIssuer, "token_issuer": "https://staging-idp.test",
				"message": "token refused: its iss is not AUTH_ISSUER"},
			{"level": "info", "component": "jwt", "expected_audience": testAudience, "token_audience": []any{"api://other", "web"},
				"message": "token refused: its aud does not name AUTH_AUDIENCE"},
		}
		if diff := cmp.Diff(want, h.log.Lines(t)); diff != "" {
			t.Errorf("log lines (-want +got):\n%s", diff)
		}
		assertNoLeak(t, h.log.String(), wrongIss)
		assertNoLeak(t, h.log.String(), wrongAud)

		time.Sleep(time.Minute)
		if _, err := check(h.v, wrongAud); reasonOf(err) != ReasonAudience {
			t.Fatalf("err = %v, want audience", err)
		}
		if n := len(h.log.Lines(t)); n != 3 {
			t.Errorf("%d lines after a minute, want 3: %s", n, h.log)
		}
	})
}

// Metrics and clients see few reasons; the access line sees them all.
func TestReasonFolding(t *testing.T) {
	tests := []struct{ reason, label, client string }{
		{ReasonMissing, ReasonMissing, ReasonMissing},
		{ReasonExpired, ReasonExpired, ReasonExpired},
		{ReasonUntrustedPeer, ReasonUntrustedPeer, ReasonInvalid},
		{ReasonUnavailable, ReasonUnavailable, ReasonInvalid},
		{ReasonNotYetValid, ReasonInvalid, ReasonInvalid},
		{ReasonSignature, ReasonInvalid, ReasonInvalid},
		{ReasonAlgorithm, ReasonInvalid, ReasonInvalid},
		{ReasonIssuer, ReasonInvalid, ReasonInvalid},
		{ReasonAudience, ReasonInvalid, ReasonInvalid},
		{ReasonMalformed, ReasonInvalid, ReasonInvalid},
		{ReasonAppRefused, ReasonInvalid, ReasonInvalid},
		{ReasonInvalid, ReasonInvalid, ReasonInvalid},
	}
	for _, tt := range tests {
		e := &Error{Class: ErrUnauthenticated, Reason: tt.reason}
		if e.Label() != tt.label || e.ClientReason() != tt.client {
			t.Errorf("%s: Label %q, ClientReason %q; want %q, %q", tt.reason, e.Label(), e.ClientReason(), tt.label, tt.client)
		}
	}
}

func TestVerifyClaimsExact(t *testing.T) {
	h := startJWT(t, hmacConfig(), nil)
	expires := time.Now().Add(time.Hour).Truncate(time.Second)
	exp := strconv.FormatInt(expires.Unix(), 10)
	tok := testkit.Sign(t, jose.HS256, []byte(testHMACSecret), "", []byte(`{"iss":"`+testIssuer+`","aud":"`+testAudience+
		`","sub":"u1","exp":`+exp+`,"org":{"id":12345678901234567890,"tags":["a",1.5]},"admin":false,"n":null}`))
	id, err := check(h.v, tok)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	want := Identity{Subject: "u1", Claims: map[string]any{
		"iss": testIssuer, "aud": testAudience, "sub": "u1", "exp": json.Number(exp),
		"org":   map[string]any{"id": json.Number("12345678901234567890"), "tags": []any{"a", json.Number("1.5")}},
		"admin": false, "n": nil,
	}, Expires: expires}
	if diff := cmp.Diff(want, id); diff != "" {
		t.Errorf("identity (-want +got):\n%s", diff)
	}
}

// signWith signs claims with extra header parameters from opts.
func signWith(t *testing.T, alg jose.SignatureAlgorithm, key any, opts *jose.SignerOptions, claims any) string {
	t.Helper()
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: key}, opts)
	if err != nil {
		t.Fatal(err)
	}
	jws, err := signer.Sign(mustJSON(t, claims))
	if err != nil {
		t.Fatal(err)
	}
	tok, err := jws.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// assertNoLeak fails when s holds the token, one of its segments, or a
// claim value used in these tests.
func assertNoLeak(t *testing.T, s, token string) {
	t.Helper()
	needles := []string{testSubject, "ada@example.test", "9007199254740993", testHMACSecret}
	if token != "" {
		needles = append(needles, token)
		for _, seg := range strings.Split(token, ".") {
			if len(seg) >= 8 {
				needles = append(needles, seg)
			}
		}
	}
	for _, n := range needles {
		if strings.Contains(s, n) {
			t.Errorf("%q leaks %q", s, n)
		}
	}
}
