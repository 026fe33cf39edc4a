package handler

import (
	"errors"
	"net/http"
	"net/netip"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vaultgate/vaultgate/internal/auth"
	"github.com/vaultgate/vaultgate/internal/state"
	"github.com/vaultgate/vaultgate/internal/testkit"
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
				testkit.WantProblem(t, w.Result(), http.StatusBadRequest, codePrefetchRefused)
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
				testkit.WantProblem(t, w.Result(), http.StatusForbidden, codeCrossSite)
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
			testkit.WantProblem(t, w.Result(), w.Code, tt.want)
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

func TestRateLimits(t *testing.T) {
	allow := func(string) (state.Decision, error) { return state.Decision{Allowed: true, Remaining: 3}, nil }
	broken := func(string) (state.Decision, error) {
		return state.Decision{}, errors.New("redis: connection refused")
	}
	tests := []struct {
		name       string
		ip, user   func(string) (state.Decision, error)
		wantStatus int
		wantRetry  string
		wantScope  string // label of vaultgate_rate_limited_total that must be 1
		wantErrs   float64
	}{
		{"both allow", allow, allow, 302, "", "", 0},
		{"ip refuses", refuse, allow, 429, "3", scopeIP, 0},
		{"user refuses", allow, refuse, 429, "3", scopeUser, 0},
		{"user refuses, sub-second wait", allow, func(string) (state.Decision, error) {
			return state.Decision{RetryAfter: 10 * time.Millisecond}, nil
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
			e.deps.Connect.TrustedProxyHops, e.deps.Connect.TrustedProxyCIDRs = 1, []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
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
				testkit.WantProblem(t, w.Result(), http.StatusTooManyRequests, codeRateLimited)
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

// TestUserLimitWithoutSubjectCountsTheConsumer: forward auth whose app
// names no user; keying on anything the client sends (its cookies) would
// let a junk cookie reset the budget.
func TestUserLimitWithoutSubjectCountsTheConsumer(t *testing.T) {
	e := newEnv(t)
	e.auth.authenticate = func(*http.Request) (auth.Identity, error) {
		return auth.Identity{Claims: map[string]any{"org_id": "42"}}, nil
	}
	e.deps.Connect.Mapping.IDClaim, e.deps.Connect.Mapping.IDPrefix = "org_id", "org_"
	ul := &fakeLimiter{allow: func(string) (state.Decision, error) { return state.Decision{Allowed: true}, nil }}
	e.deps.UserLimit = ul
	for _, junk := range []string{"a=1", "b=2"} {
		if w := e.do(t, authed("GET", "/connect", "", "Cookie", junk)); w.Code != http.StatusFound {
			t.Fatalf("status = %d", w.Code)
		}
	}
	if diff := cmp.Diff([]string{"consumer:org_42", "consumer:org_42"}, ul.Keys()); diff != "" {
		t.Errorf("user limiter keys (-want +got):\n%s", diff)
	}
}

func TestFailOpenIsLoggedAtError(t *testing.T) {
	e := newEnv(t)
	e.deps.UserLimit = &fakeLimiter{allow: func(string) (state.Decision, error) {
		return state.Decision{}, errors.New("redis down")
	}}
	e.do(t, authed("GET", "/connect", ""))
	for _, l := range e.logs.Lines(t) {
		if l["level"] == "error" && l["scope"] == scopeUser {
			return
		}
	}
	t.Errorf("no error line for the failed limiter: %s", e.logs)
}

func TestClientIP(t *testing.T) {
	proxies := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
	tests := []struct {
		name   string
		remote string
		xff    []string
		hops   int
		want   string
	}{
		{"peer, no header", "203.0.113.7:5555", nil, 0, "203.0.113.7"},
		{"hops 0 ignores header", "203.0.113.7:5555", []string{"198.51.100.1"}, 0, "203.0.113.7"},
		{"hops 1 takes rightmost", "10.0.0.2:80", []string{"198.51.100.9, 198.51.100.1"}, 1, "198.51.100.1"},
		{"hops 1 spoofed left ignored", "10.0.0.2:80", []string{"1.2.3.4, 5.6.7.8, 198.51.100.1"}, 1, "198.51.100.1"},
		{"hops 2 takes second from right", "10.0.0.2:80", []string{"1.2.3.4, 198.51.100.9, 10.0.0.1"}, 2, "198.51.100.9"},
		{"hops 2 across header lines", "10.0.0.2:80", []string{"1.2.3.4, 198.51.100.9", "10.0.0.1"}, 2, "198.51.100.9"},
		{"hops 2 too few entries", "10.0.0.2:80", []string{"198.51.100.9"}, 2, "10.0.0.2"},
		{"hops 1 no header", "10.0.0.2:80", nil, 1, "10.0.0.2"},
		{"hops 1 garbage entry", "10.0.0.2:80", []string{"1.2.3.4, not-an-ip"}, 1, "10.0.0.2"},
		{"hops 1 entry with port is not an IP", "10.0.0.2:80", []string{"198.51.100.1:443"}, 1, "10.0.0.2"},
		{"header from an untrusted peer ignored", "203.0.113.7:5555", []string{"198.51.100.1"}, 1, "203.0.113.7"},
		{"mapped trusted peer", "[::ffff:10.0.0.2]:80", []string{"198.51.100.1"}, 1, "198.51.100.1"},
		{"ipv6 peer counts per /64", "[2001:db8:1:2:aaaa::1]:443", nil, 0, "2001:db8:1:2::/64"},
		{"ipv6 forwarded per /64", "10.0.0.2:80", []string{"2001:db8::7"}, 1, "2001:db8::/64"},
		{"mapped ipv4 normalised", "[::ffff:192.0.2.1]:80", nil, 0, "192.0.2.1"},
		{"peer without port", "192.0.2.5", nil, 0, "192.0.2.5"},
		{"empty entry", "10.0.0.2:80", []string{"1.2.3.4,"}, 1, "10.0.0.2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := request("GET", "/connect", "")
			r.RemoteAddr = tt.remote
			for _, v := range tt.xff {
				r.Header.Add("X-Forwarded-For", v)
			}
			if got := clientIP(r, tt.hops, proxies); got != tt.want {
				t.Errorf("clientIP = %q, want %q", got, tt.want)
			}
		})
	}
}
