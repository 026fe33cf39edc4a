// Command bare is a benchmark reference only, never shipped: the thinnest
// honest GET /connect, to measure vaultgate against. It verifies an HS256
// JWT (iss, aud and exp checked), makes one POST /vault/sessions upstream
// through one pooled client and answers like vaultgate (JSON when the
// Accept header names application/json, else a 302). It has no metrics,
// logs, limits, guards or retries. It reads vaultgate's variable names and
// prints its URL as its one stdout line.
package main

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

type claims struct {
	jwt.Claims
	OrgID   string `json:"org_id"`
	OrgName string `json:"org_name"`
	Name    string `json:"name"`
	Email   string `json:"email"`
}

type sessionRequest struct {
	ConsumerMetadata struct {
		AccountName string `json:"account_name,omitempty"`
		UserName    string `json:"user_name,omitempty"`
		Email       string `json:"email,omitempty"`
	} `json:"consumer_metadata"`
	RedirectURI string `json:"redirect_uri,omitempty"`
	Settings    struct {
		UnifiedAPIs []string `json:"unified_apis,omitempty"`
	} `json:"settings"`
	Theme struct {
		VaultName string `json:"vault_name,omitempty"`
	} `json:"theme"`
}

// answer is vaultgate's JSON answer, members in its order.
type answer struct {
	SessionURI   string `json:"session_uri"`
	SessionToken string `json:"session_token"`
	ConsumerID   string `json:"consumer_id"`
	ExpiresAt    string `json:"expires_at"`
}

type envelope struct {
	Data struct {
		SessionURI   string `json:"session_uri"`
		SessionToken string `json:"session_token"`
	} `json:"data"`
}

func main() {
	secret, endpoint := []byte(os.Getenv("AUTH_HS256_SECRET")), os.Getenv("APIDECK_BASE_URL")+"/vault/sessions"
	want := jwt.Expected{Issuer: os.Getenv("AUTH_ISSUER"), AnyAudience: jwt.Audience{os.Getenv("AUTH_AUDIENCE")}}
	apiKey, appID := os.Getenv("APIDECK_API_KEY"), os.Getenv("APIDECK_APP_ID")
	redirect, apis, vaultName := os.Getenv("VAULT_REDIRECT_URI"), os.Getenv("VAULT_UNIFIED_APIS"), os.Getenv("VAULT_THEME_VAULT_NAME")
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 512}}

	r := chi.NewRouter()
	r.Get("/connect", func(w http.ResponseWriter, r *http.Request) {
		raw, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		tok, err := jwt.ParseSigned(raw, []jose.SignatureAlgorithm{jose.HS256})
		var c claims
		if !ok || err != nil || tok.Claims(secret, &c) != nil || c.Expiry == nil ||
			c.ValidateWithLeeway(want.WithTime(time.Now()), time.Minute) != nil || c.OrgID == "" {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		s := sessionRequest{RedirectURI: redirect}
		s.ConsumerMetadata.AccountName, s.ConsumerMetadata.UserName, s.ConsumerMetadata.Email = c.OrgName, c.Name, c.Email
		s.Settings.UnifiedAPIs = strings.Split(cmp.Or(r.URL.Query().Get("unified_apis"), apis), ",")
		s.Theme.VaultName = vaultName
		body, _ := json.Marshal(s)
		req, _ := http.NewRequestWithContext(r.Context(), http.MethodPost, endpoint, bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+apiKey)
		req.Header.Set("X-Apideck-App-Id", appID)
		req.Header.Set("X-Apideck-Consumer-Id", c.OrgID)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json")
		res, err := client.Do(req)
		if err != nil {
			http.Error(w, "upstream unavailable", http.StatusBadGateway)
			return
		}
		b, err := io.ReadAll(io.LimitReader(res.Body, 1<<20))
		res.Body.Close()
		var env envelope
		if err != nil || res.StatusCode != http.StatusOK || json.Unmarshal(b, &env) != nil || env.Data.SessionURI == "" {
			http.Error(w, "upstream refused", http.StatusBadGateway)
			return
		}
		if !strings.Contains(r.Header.Get("Accept"), "application/json") {
			w.Header().Set("Location", env.Data.SessionURI)
			w.WriteHeader(http.StatusFound)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(answer{env.Data.SessionURI, env.Data.SessionToken, c.OrgID,
			time.Now().Add(time.Hour).UTC().Truncate(time.Second).Format(time.RFC3339)})
	})

	ln, err := net.Listen("tcp", cmp.Or(os.Getenv("HTTP_ADDR"), "127.0.0.1:8080"))
	if err != nil {
		fmt.Fprintln(os.Stderr, "bare:", err)
		os.Exit(1)
	}
	fmt.Println("http://" + ln.Addr().String())
	srv := &http.Server{Handler: r, ReadHeaderTimeout: 10 * time.Second}
	fmt.Fprintln(os.Stderr, "bare:", srv.Serve(ln))
	os.Exit(1)
}
