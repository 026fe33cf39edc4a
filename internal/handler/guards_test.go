package handler

import (
	"net/http"
	"testing"

	"github.com/vaultgate/vaultgate/internal/auth"
	"github.com/vaultgate/vaultgate/internal/state"
)

func TestPrefetchRefused(t *testing.T) {
	tests := []struct {
		name    string
		headers []string
		want    int
	}{
		{"Sec-Purpose prefetch", []string{"Sec-Purpose", "prefetch"}, 400},
		{"Sec-Purpose prefetch;prerender", []string{"Sec-Purpose", "prefetch;prerender"}, 400},
		{"Purpose Prefetch upper case", []string{"Purpose", "Prefetch"}, 400},
		{"Purpose all caps", []string{"Purpose", "PREFETCH"}, 400},
		{"other purpose", []string{"Sec-Purpose", "preview"}, 302},
		{"none", nil, 302},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			w := e.do(t, authed("GET", "/connect", "", tt.headers...))
			if w.Code != tt.want {
				t.Fatalf("status = %d, want %d", w.Code, tt.want)
			}
			if tt.want == 400 {
				if p := decodeProblem(t, w); p.Code != codePrefetchRefused {
					t.Errorf("code = %q", p.Code)
				}
				if w.Header().Get("Cache-Control") != "no-store" {
					t.Error("prefetch refusal must not be cacheable")
				}
				if len(e.sessions.Calls()) != 0 {
					t.Error("a prefetch created a session")
				}
			}
		})
	}
}

func TestCrossSiteGuard(t *testing.T) {
	tests := []struct {
		name    string
		ambient bool
		host    string
		headers []string
		want    int
	}{
		{"cookie, Sec-Fetch-Site cross-site", true, "", []string{"Sec-Fetch-Site", "cross-site"}, 403},
		{"cookie, Sec-Fetch-Site cross-site, allowed CORS origin", true, "",
			[]string{"Sec-Fetch-Site", "cross-site", "Origin", "https://app.example.com"}, 302},
		{"cookie, Sec-Fetch-Site cross-site, other origin", true, "",
			[]string{"Sec-Fetch-Site", "cross-site", "Origin", "https://evil.example"}, 403},
		{"cookie, same-origin", true, "", []string{"Sec-Fetch-Site", "same-origin"}, 302},
		{"cookie, same-site", true, "", []string{"Sec-Fetch-Site", "same-site"}, 302},
		{"cookie, none (typed URL)", true, "", []string{"Sec-Fetch-Site", "none"}, 302},
		{"cookie, Sec-Fetch-Site wins over Origin", true, "", []string{"Sec-Fetch-Site", "same-origin", "Origin", "https://evil.example"}, 302},
		{"cookie, no headers", true, "", nil, 302},
		{"cookie, Origin matches Host", true, "connect.example.com", []string{"Origin", "https://connect.example.com"}, 302},
		{"cookie, Origin host differs", true, "connect.example.com", []string{"Origin", "https://evil.example"}, 403},
		{"cookie, Origin port differs", true, "connect.example.com", []string{"Origin", "https://connect.example.com:8443"}, 403},
		{"cookie, Origin null", true, "connect.example.com", []string{"Origin", "null"}, 403},
		{"cookie, Origin allowed for CORS", true, "connect.example.com", []string{"Origin", "https://app.example.com"}, 302},
		{"bearer, cross-site", false, "", []string{"Sec-Fetch-Site", "cross-site"}, 302},
		{"bearer, Origin differs", false, "connect.example.com", []string{"Origin", "https://evil.example"}, 302},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			e.auth.ambient = func(*http.Request) bool { return tt.ambient }
			r := authed("GET", "/connect", "", tt.headers...)
			if tt.host != "" {
				r.Host = tt.host
			}
			w := e.do(t, r)
			if w.Code != tt.want {
				t.Fatalf("status = %d, want %d; body %s", w.Code, tt.want, w.Body)
			}
			if tt.want == 403 {
				if p := decodeProblem(t, w); p.Code != codeCrossSite {
					t.Errorf("code = %q", p.Code)
				}
				if len(e.sessions.Calls()) != 0 {
					t.Error("a refused cross-site request created a session")
				}
			}
		})
	}
}

// TestCheckOrder pins the order of the checks: IP limit, prefetch,
// cross-site, authentication, user limit, consumer, options.
func TestCheckOrder(t *testing.T) {
	tests := []struct {
		name     string
		ipLimit  bool
		prefetch bool
		cross    bool
		authFail bool
		userLim  bool
		noCons   bool
		badOpt   bool
		want     string
	}{
		{"ip limit first", true, true, true, true, true, true, true, codeRateLimited},
		{"then prefetch", false, true, true, true, true, true, true, codePrefetchRefused},
		{"then cross-site", false, false, true, true, true, true, true, codeCrossSite},
		{"then authentication", false, false, false, true, true, true, true, codeUnauthenticated},
		{"then user limit", false, false, false, false, true, true, true, codeRateLimited},
		{"then consumer", false, false, false, false, false, true, true, codeNoConsumer},
		{"then options", false, false, false, false, false, false, true, codeInvalidUnifiedAPIs},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			authCalled, userLimitCalled := false, false
			e.deps.IPLimit = &fakeLimiter{allow: func(string) (state.Decision, error) {
				return state.Decision{Allowed: !tt.ipLimit}, nil
			}}
			e.deps.UserLimit = &fakeLimiter{allow: func(string) (state.Decision, error) {
				userLimitCalled = true
				return state.Decision{Allowed: !tt.userLim}, nil
			}}
			e.auth.ambient = func(*http.Request) bool { return true }
			e.auth.authenticate = func(*http.Request) (auth.Identity, error) {
				authCalled = true
				if tt.authFail {
					return auth.Identity{}, &auth.Error{Class: auth.ErrUnauthenticated, Reason: auth.ReasonInvalid}
				}
				id := testIdentity()
				if tt.noCons {
					delete(id.Claims, "org_id")
				}
				return id, nil
			}
			target := "/connect"
			if tt.badOpt {
				target += "?unified_apis=nope"
			}
			r := request("GET", target, "")
			if tt.prefetch {
				r.Header.Set("Sec-Purpose", "prefetch")
			}
			if tt.cross {
				r.Header.Set("Sec-Fetch-Site", "cross-site")
			}
			w := e.do(t, r)
			if p := decodeProblem(t, w); p.Code != tt.want {
				t.Fatalf("code = %q, want %q", p.Code, tt.want)
			}
			wantAuth := !tt.ipLimit && !tt.prefetch && !tt.cross
			if authCalled != wantAuth {
				t.Errorf("authenticate called = %v, want %v", authCalled, wantAuth)
			}
			if userLimitCalled != (wantAuth && !tt.authFail) {
				t.Errorf("user limit called = %v", userLimitCalled)
			}
		})
	}
}
