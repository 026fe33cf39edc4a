package main

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Identity provider and Apideck settings shared by the load tool and the
// processes it starts.
const (
	benchIssuer   = "https://idp.bench.test/"
	benchAudience = "vaultgate-bench"
	benchAPIKey   = "sk_bench_loadgen_5d4c3b2a19f8e7d6"
	benchAppID    = "app-bench"
	// benchHMAC reaches vaultgate as AUTH_HS256_SECRET.
	benchHMAC     = "loadgen-hs256-secret-of-at-least-32-bytes"
	benchRedirect = "https://app.bench.test/integrations/done"
)

// user is one simulated signed-in user of a SaaS app.
type user struct {
	token      string // HS256 JWT for vaultgate
	consumerID string // what vaultgate maps the token to (org_id claim)
	body       []byte // the session request vaultgate would send for them
}

// mintUsers makes n users in n/16 organisations, each with a token valid
// for ttl.
func mintUsers(n int, ttl time.Duration) ([]user, error) {
	now := time.Now()
	users := make([]user, n)
	for i := range users {
		org := fmt.Sprintf("org_%d", i/16)
		claims := map[string]any{
			"iss": benchIssuer, "aud": benchAudience, "sub": fmt.Sprintf("user-%d", i),
			"iat": now.Unix(), "exp": now.Add(ttl).Unix(),
			"org_id": org, "org_name": "Organisation " + org,
			"name": fmt.Sprintf("User %d", i), "email": fmt.Sprintf("user%d@bench.test", i),
		}
		tok, err := signHS256(claims, []byte(benchHMAC))
		if err != nil {
			return nil, err
		}
		body, err := json.Marshal(map[string]any{
			"consumer_metadata": map[string]string{
				"account_name": claims["org_name"].(string), "user_name": claims["name"].(string),
				"email": claims["email"].(string),
			},
			"redirect_uri": benchRedirect,
			"settings":     map[string]any{"unified_apis": []string{"crm"}},
			"theme":        map[string]string{"vault_name": "Bench"},
		})
		if err != nil {
			return nil, err
		}
		users[i] = user{token: tok, consumerID: org, body: body}
	}
	return users, nil
}

// signHS256 makes a compact JWS; the load tool needs nothing more.
func signHS256(claims map[string]any, key []byte) (string, error) {
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	enc := base64.RawURLEncoding
	input := enc.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`)) + "." + enc.EncodeToString(payload)
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(input))
	return input + "." + enc.EncodeToString(mac.Sum(nil)), nil
}

// connectTarget asks vaultgate (or the bare program) for a session as user
// n%len(users), the way a frontend's fetch() does (JSON answer, no redirect).
func connectTarget(name, base string, users []user) target {
	url := strings.TrimRight(base, "/") + "/connect?unified_apis=crm"
	return target{
		name:   name,
		okBody: []byte(`"session_uri"`),
		request: func(ctx context.Context, n int) (*http.Request, error) {
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
			if err != nil {
				return nil, err
			}
			req.Header["Authorization"] = []string{"Bearer " + users[n%len(users)].token}
			req.Header["Accept"] = []string{"application/json"}
			return req, nil
		},
	}
}

// directTarget sends what vaultgate would send for user n%len(users)
// straight to the mock: the ceiling vaultgate is measured against.
func directTarget(base string, users []user) target {
	url := strings.TrimRight(base, "/") + "/vault/sessions"
	return target{
		name:   targetDirect,
		okBody: []byte(`"session_uri"`),
		request: func(ctx context.Context, n int) (*http.Request, error) {
			u := users[n%len(users)]
			req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(u.body))
			if err != nil {
				return nil, err
			}
			req.Header["Authorization"] = []string{"Bearer " + benchAPIKey}
			req.Header["X-Apideck-App-Id"] = []string{benchAppID}
			req.Header["X-Apideck-Consumer-Id"] = []string{u.consumerID}
			req.Header["Content-Type"] = []string{"application/json"}
			req.Header["Accept"] = []string{"application/json"}
			return req, nil
		},
	}
}
