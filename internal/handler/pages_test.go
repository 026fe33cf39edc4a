package handler

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/vaultgate/vaultgate/internal/state"
	"github.com/vaultgate/vaultgate/internal/testkit"
	"github.com/vaultgate/vaultgate/internal/upstream"
)

const navAccept = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"

func TestErrorPageForNavigations(t *testing.T) {
	e := newEnv(t)
	e.deps.Connect.AppURL = "https://app.example.com/settings?tab=integrations"
	e.deps.UserLimit = &fakeLimiter{allow: func(string) (state.Decision, error) {
		return state.Decision{RetryAfter: 42 * time.Second}, nil
	}}
	w := e.do(t, authed("GET", "/connect", "", "Accept", navAccept))
	if w.Code != http.StatusTooManyRequests {
		t.Fatalf("status %d", w.Code)
	}
	for name, want := range map[string]string{
		"Content-Type":            "text/html; charset=utf-8",
		"Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
		"Retry-After":             "42",
		"Cache-Control":           "no-store",
		"X-Frame-Options":         "DENY",
	} {
		if got := w.Header().Get(name); got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
	body := w.Body.String()
	id := w.Header().Get(headerRequestID)
	for _, want := range []string{"<title>Too many requests</title>", "Too many requests; try again later.",
		"try again in 42 seconds", id, `href="https://app.example.com/settings?tab=integrations"`} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %q:\n%s", want, body)
		}
	}
	doc, err := html.Parse(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	// Self-contained: nothing is loaded from anywhere.
	for n := range doc.Descendants() {
		if n.Type == html.ElementNode && (n.Data == "script" || n.Data == "img" || n.Data == "link" || n.Data == "iframe") {
			t.Errorf("page has a <%s>", n.Data)
		}
	}
}

func TestErrorPageSaysOneSecond(t *testing.T) {
	for retry, want := range map[time.Duration]string{time.Second: "try again in 1 second.", 2 * time.Second: "try again in 2 seconds."} {
		e := newEnv(t)
		e.deps.UserLimit = &fakeLimiter{allow: func(string) (state.Decision, error) {
			return state.Decision{RetryAfter: retry}, nil
		}}
		w := e.do(t, authed("GET", "/connect", "", "Accept", navAccept))
		if body := w.Body.String(); w.Code != http.StatusTooManyRequests || !strings.Contains(body, want) {
			t.Errorf("Retry-After %v: %d, page lacks %q:\n%s", retry, w.Code, want, body)
		}
	}
}

func TestErrorPageChoices(t *testing.T) {
	tests := []struct {
		name       string
		accept     string
		method     string
		loginURL   string
		redirect   string
		auth       bool
		wantStatus int
		wantType   string // Content-Type, or "" for a redirect
		wantLoc    string
	}{
		{"fetch keeps problem JSON", "application/json", "GET", "", "", true, 502, contentTypeProblem, ""},
		{"axios keeps problem JSON", "application/json, text/plain, */*", "GET", "", "", true, 502, contentTypeProblem, ""},
		{"missing Accept keeps problem JSON", "", "GET", "", "", true, 502, contentTypeProblem, ""},
		{"POST keeps problem JSON", navAccept, "POST", "", "", true, 502, contentTypeProblem, ""},
		{"navigation gets a page", navAccept, "GET", "", "", true, 502, "text/html; charset=utf-8", ""},
		{"navigation goes to the app's error page", navAccept, "GET", "", "https://app.example.com/oops?lang=en", true, 302, "",
			"https://app.example.com/oops?error=upstream_unavailable&lang=en&request_id="},
		{"unauthenticated navigation goes to login first", navAccept, "GET", "https://app.example.com/login", "https://app.example.com/oops", false, 302, "",
			"https://app.example.com/login?return_to=%2Fconnect"},
		{"unauthenticated navigation without login URL gets a page", navAccept, "GET", "", "", false, 401, "text/html; charset=utf-8", ""},
		{"unauthenticated navigation without login URL goes to the error page", navAccept, "GET", "", "https://app.example.com/oops", false, 302, "",
			"https://app.example.com/oops?error=unauthenticated&request_id="},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			e.deps.Connect.LoginURL, e.deps.Connect.ErrorRedirectURL = tt.loginURL, tt.redirect
			e.sessions.create = func(context.Context, string, string, upstream.SessionRequest) (upstream.Session, upstream.Result, error) {
				return upstream.Session{}, upstream.Result{Status: 503}, &upstream.Error{Kind: upstream.KindUnavailable, Status: 503}
			}
			r := request(tt.method, "/connect", "")
			if tt.auth {
				r = authed(tt.method, "/connect", "")
			}
			if tt.accept != "" {
				r.Header.Set("Accept", tt.accept)
			}
			w := e.do(t, r)
			res := w.Result()
			if res.StatusCode != tt.wantStatus {
				t.Fatalf("status %d, want %d", res.StatusCode, tt.wantStatus)
			}
			if tt.wantLoc != "" {
				loc := res.Header.Get("Location")
				if !strings.HasPrefix(loc, tt.wantLoc) {
					t.Fatalf("Location %q, want prefix %q", loc, tt.wantLoc)
				}
				if u, _ := url.Parse(loc); strings.Contains(tt.wantLoc, "request_id=") && u.Query().Get("request_id") != res.Header.Get(headerRequestID) {
					t.Errorf("request_id in %q is not X-Request-Id %q", loc, res.Header.Get(headerRequestID))
				}
				return
			}
			if ct := res.Header.Get("Content-Type"); ct != tt.wantType {
				t.Errorf("Content-Type %q, want %q", ct, tt.wantType)
			}
			if tt.wantType == contentTypeProblem {
				code := codeUpstreamUnavailable
				if !tt.auth {
					code = codeUnauthenticated
				}
				testkit.WantProblem(t, res, tt.wantStatus, code)
			} else {
				b, _ := io.ReadAll(res.Body)
				if !strings.Contains(string(b), res.Header.Get(headerRequestID)) {
					t.Errorf("page without the request id: %s", b)
				}
			}
		})
	}
}
