package auth

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/vaultgate/vaultgate/internal/testkit"
)

const testHMACCacheSecret = "cache-test-hs256-secret-of-32-bytes!!"

func hmacVerifier(t *testing.T, skew time.Duration) *JWT {
	t.Helper()
	cfg := hmacConfig()
	cfg.HS256Secret, cfg.ClockSkew = []byte(testHMACCacheSecret), skew
	return startJWT(t, cfg, nil).v
}

func authenticate(v *JWT, token string) (Identity, error) {
	r := httptest.NewRequest("GET", "/connect", nil)
	r.Header.Set("Authorization", "Bearer "+token)
	return v.Authenticate(r)
}

// swapSegment replaces segment i (0 header, 1 payload, 2 signature).
func swapSegment(token string, i int, seg string) string {
	parts := strings.Split(token, ".")
	parts[i] = seg
	return strings.Join(parts, ".")
}

func TestCachedTokenStillRefusedWhenTampered(t *testing.T) {
	v := hmacVerifier(t, 30*time.Second)
	good := testkit.Sign(t, jose.HS256, []byte(testHMACCacheSecret), "", claimsAt(time.Now(), nil))
	if _, err := authenticate(v, good); err != nil {
		t.Fatalf("good token: %v", err)
	}
	if n := len(v.verified.entries); n != 1 {
		t.Fatalf("cache holds %d tokens after one good one, want 1", n)
	}

	enc := base64.RawURLEncoding.EncodeToString
	sig := strings.Split(good, ".")[2]
	// A character in the middle of the signature: the last one may only
	// carry padding bits.
	flipped := []byte(sig)
	flipped[len(flipped)/2] ^= 1
	tests := []struct {
		name, token string
	}{
		{"other subject, same signature", swapSegment(good, 1, enc([]byte(`{"iss":"`+testIssuer+`","aud":"`+testAudience+`","sub":"someone-else","exp":4102444800}`)))},
		{"same claims, signature changed", swapSegment(good, 2, string(flipped))},
		{"signature removed", swapSegment(good, 2, "")},
		{"alg none", swapSegment(good, 0, enc([]byte(`{"alg":"none","typ":"JWT"}`)))},
		{"trailing character", good + "A"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Twice: a refused token must not be remembered either.
			for range 2 {
				if id, err := authenticate(v, tt.token); err == nil {
					t.Fatalf("tampered token accepted as %q", id.Subject)
				}
			}
		})
	}
	id, err := authenticate(v, good)
	if err != nil || id.Subject != testSubject {
		t.Fatalf("good token after the tampered ones: %q, %v", id.Subject, err)
	}
	if n := len(v.verified.entries); n != 1 {
		t.Errorf("cache holds %d tokens, want only the good one", n)
	}
}

func TestCachedTokenRefusedOnceExpired(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		// No skew, so exp itself is the limit; exp comes well before the
		// cache's own maximum age, so only exp can end the entry.
		v := hmacVerifier(t, 0)
		token := testkit.Sign(t, jose.HS256, []byte(testHMACCacheSecret), "", claimsAt(start, func(c map[string]any) {
			c["exp"] = start.Add(20 * time.Second).Unix()
		}))
		if _, err := authenticate(v, token); err != nil {
			t.Fatalf("fresh token: %v", err)
		}
		time.Sleep(19 * time.Second)
		if _, err := authenticate(v, token); err != nil {
			t.Fatalf("token one second before exp: %v", err)
		}
		time.Sleep(2 * time.Second)
		_, err := authenticate(v, token)
		if err == nil {
			t.Fatal("expired token accepted from the cache")
		}
		if got := reasonOf(err); got != ReasonExpired {
			t.Errorf("reason = %q, want %q", got, ReasonExpired)
		}
	})
}

func TestCacheIsUsedForRepeats(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		v := hmacVerifier(t, 30*time.Second)
		token := testkit.Sign(t, jose.HS256, []byte(testHMACCacheSecret), "", claimsAt(time.Now(), nil))
		first, err := authenticate(v, token)
		if err != nil {
			t.Fatal(err)
		}
		// A different secret makes a fresh verification fail: a success now
		// can only come from the cache, which is what repeats should hit.
		v.cfg.HS256Secret = []byte("another-secret-another-secret-another")
		again, err := authenticate(v, token)
		if err != nil {
			t.Fatalf("repeat not served from the cache: %v", err)
		}
		if again.Subject != first.Subject || again.Claims["email"] != first.Claims["email"] {
			t.Errorf("cached identity %v differs from %v", again, first)
		}
		// verify itself never uses the cache.
		if _, err := check(v, token); err == nil {
			t.Error("verify accepted a token the current secret does not sign")
		}
		time.Sleep(verifiedCacheMaxAge)
		if _, err := authenticate(v, token); err == nil {
			t.Error("entry outlived the cache's maximum age")
		}
	})
}

func TestCachedTokenRefusedAfterKeyLeavesJWKS(t *testing.T) {
	keys := testkit.NewKeys(t)
	srv := newIDServer(t, keys.JWKS())
	v := startJWT(t, jwksConfig(srv.url()), nil).v
	token := testkit.Sign(t, jose.RS256, keys.RSA, "rsa-1", claimsAt(time.Now(), nil))
	if _, err := authenticate(v, token); err != nil {
		t.Fatalf("token before rotation: %v", err)
	}
	// The RSA key is withdrawn; the next refresh picks that up.
	srv.setKeys(keys.JWKS()[1:])
	if err := v.fetch(context.Background(), triggerRefresh); err != nil {
		t.Fatal(err)
	}
	if _, err := authenticate(v, token); err == nil {
		t.Fatal("token signed by a withdrawn key accepted from the cache")
	}
}

func TestVerifiedCacheBounds(t *testing.T) {
	now := time.Now()
	ok := verified{id: Identity{Subject: "s"}, expiry: now.Add(time.Hour)}
	key := func(i int) [sha256.Size]byte { return sha256.Sum256([]byte{byte(i), byte(i >> 8), byte(i >> 16)}) }
	tests := []struct {
		name      string
		n, size   int
		wantLen   int
		wantFirst bool // whether the first entry survives
	}{
		{"count bound", verifiedCacheEntries + 100, 100, verifiedCacheEntries, false},
		{"byte bound", 600, verifiedCacheMaxToken, verifiedCacheBytes / verifiedCacheMaxToken, false},
		{"too large to keep", 3, verifiedCacheMaxToken + 1, 0, false},
		{"under both bounds", 10, 100, 10, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &verifiedCache{}
			for i := range tt.n {
				c.put(key(i), tt.size, ok, now)
			}
			if got := len(c.entries); got != tt.wantLen {
				t.Errorf("len = %d, want %d", got, tt.wantLen)
			}
			if c.bytes > verifiedCacheBytes {
				t.Errorf("bytes = %d, over the budget", c.bytes)
			}
			if _, hit := c.get(key(0), now, nil); hit != tt.wantFirst {
				t.Errorf("first entry present = %v, want %v", hit, tt.wantFirst)
			}
			if tt.wantLen > 0 {
				if _, hit := c.get(key(tt.n-1), now, nil); !hit {
					t.Error("newest entry missing")
				}
			}
		})
	}
}
