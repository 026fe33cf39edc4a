package handler

import (
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vaultgate/vaultgate/internal/ratelimit"
)

func TestRateLimits(t *testing.T) {
	allow := func(string) (ratelimit.Decision, error) { return ratelimit.Decision{Allowed: true, Remaining: 3}, nil }
	broken := func(string) (ratelimit.Decision, error) {
		return ratelimit.Decision{}, errors.New("redis: connection refused")
	}
	tests := []struct {
		name       string
		ip, user   func(string) (ratelimit.Decision, error)
		wantStatus int
		wantRetry  string
		wantScope  string // label of vaultgate_rate_limited_total that must be 1
		wantErrs   float64
	}{
		{"both allow", allow, allow, 302, "", "", 0},
		{"ip refuses", refuse, allow, 429, "3", scopeIP, 0},
		{"user refuses", allow, refuse, 429, "3", scopeUser, 0},
		{"user refuses, sub-second wait", allow, func(string) (ratelimit.Decision, error) {
			return ratelimit.Decision{RetryAfter: 10 * time.Millisecond}, nil
		}, 429, "1", scopeUser, 0},
		{"ip limiter fails open", broken, allow, 302, "", "", 1},
		{"user limiter fails open", allow, broken, 302, "", "", 1},
		{"both fail open", broken, broken, 302, "", "", 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			ipl, ul := &fakeLimiter{allow: tt.ip}, &fakeLimiter{allow: tt.user}
			e.deps.IPLimit, e.deps.UserLimit = ipl, ul
			e.deps.Connect.TrustedProxyHops = 1
			r := authed("GET", "/connect", "", "X-Forwarded-For", "6.6.6.6, 198.51.100.4")
			r.RemoteAddr = "10.0.0.9:4444"
			w := e.do(t, r)
			if w.Code != tt.wantStatus {
				t.Fatalf("status = %d, want %d", w.Code, tt.wantStatus)
			}
			if got := w.Header().Get("Retry-After"); got != tt.wantRetry {
				t.Errorf("Retry-After = %q, want %q", got, tt.wantRetry)
			}
			if tt.wantStatus == http.StatusTooManyRequests {
				if p := decodeProblem(t, w); p.Code != codeRateLimited {
					t.Errorf("code = %q", p.Code)
				}
			}
			for _, scope := range []string{scopeIP, scopeUser} {
				want := 0.0
				if scope == tt.wantScope {
					want = 1
				}
				if got := e.counter(t, "vaultgate_rate_limited_total", "scope", scope); got != want {
					t.Errorf("rate limited{scope=%s} = %v, want %v", scope, got, want)
				}
			}
			if got := e.counter(t, "vaultgate_rate_limit_errors_total"); got != tt.wantErrs {
				t.Errorf("rate limit errors = %v, want %v", got, tt.wantErrs)
			}
			if diff := cmp.Diff([]string{"198.51.100.4"}, ipl.Keys()); diff != "" {
				t.Errorf("ip limiter keys (-want +got):\n%s", diff)
			}
			if tt.wantScope != scopeIP {
				if diff := cmp.Diff([]string{"user-1"}, ul.Keys()); diff != "" {
					t.Errorf("user limiter keys (-want +got):\n%s", diff)
				}
			}
		})
	}
}

func TestFailOpenIsLoggedAtError(t *testing.T) {
	e := newEnv(t)
	e.deps.UserLimit = &fakeLimiter{allow: func(string) (ratelimit.Decision, error) {
		return ratelimit.Decision{}, errors.New("redis down")
	}}
	e.do(t, authed("GET", "/connect", ""))
	for _, l := range e.logs.Lines(t) {
		if l["level"] == "error" && l["scope"] == scopeUser {
			return
		}
	}
	t.Errorf("no error line for the failed limiter: %s", e.logs)
}
