package testkit

import (
	"fmt"
	"io"
	"net/http"
	"runtime"
	"strings"
	"testing"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// recorder is a testing.TB that records failures instead of reporting
// them; Fatal* end the goroutine as the real ones do.
type recorder struct {
	testing.TB
	failures []string
}

func (r *recorder) Helper()  {}
func (r *recorder) FailNow() { runtime.Goexit() }

func (r *recorder) Errorf(format string, args ...any) {
	r.failures = append(r.failures, fmt.Sprintf(format, args...))
}

func (r *recorder) Fatal(args ...any) {
	r.failures = append(r.failures, fmt.Sprint(args...))
	r.FailNow()
}

func (r *recorder) Fatalf(format string, args ...any) {
	r.Errorf(format, args...)
	r.FailNow()
}

// failures runs check against a recorder on its own goroutine, so that a
// Fatal ends only that goroutine, and returns what it reported.
func failures(t *testing.T, check func(testing.TB)) []string {
	r := &recorder{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		check(r)
	}()
	<-done
	return r.failures
}

func TestWantProblem(t *testing.T) {
	const good = `{"type":"urn:vaultgate:problem:rate_limited","title":"Too many requests","status":429,` +
		`"detail":"Slow down.","code":"rate_limited","request_id":"req-1"}`
	answer := func(status int, edit func(h http.Header), body string) *http.Response {
		h := http.Header{"Content-Type": {"application/problem+json"}, "X-Request-Id": {"req-1"}}
		if edit != nil {
			edit(h)
		}
		return &http.Response{StatusCode: status, Header: h, Body: io.NopCloser(strings.NewReader(body))}
	}
	unauthenticated := strings.NewReplacer("429", "401", "rate_limited", "unauthenticated", `"req-1"`, `"req-1","reason":"expired"`).Replace(good)
	tests := []struct {
		name   string
		res    *http.Response
		status int
		fails  bool
	}{
		{"the problem", answer(429, nil, good), 429, false},
		{"another status", answer(503, nil, good), 429, true},
		{"another code", answer(429, nil, strings.Replace(good, `"code":"rate_limited"`, `"code":"upstream_busy"`, 1)), 429, true},
		{"body status differs", answer(429, nil, strings.Replace(good, "429", "503", 1)), 429, true},
		{"plain JSON", answer(429, func(h http.Header) { h.Set("Content-Type", "application/json") }, good), 429, true},
		{"unknown member", answer(429, nil, strings.Replace(good, `{`, `{"hint":"x",`, 1)), 429, true},
		{"reason on another code", answer(429, nil, strings.Replace(good, `{`, `{"reason":"invalid",`, 1)), 429, true},
		{"no request id header", answer(429, func(h http.Header) { h.Del("X-Request-Id") }, good), 429, true},
		{"no request id", answer(429, func(h http.Header) { h.Del("X-Request-Id") },
			strings.Replace(good, `"request_id":"req-1"`, `"request_id":""`, 1)), 429, true},
		{"401 with a challenge", answer(401, func(h http.Header) { h.Set("WWW-Authenticate", "Bearer") }, unauthenticated), 401, false},
		{"401 without a challenge", answer(401, nil, unauthenticated), 401, true},
		{"401 without a reason", answer(401, func(h http.Header) { h.Set("WWW-Authenticate", "Bearer") },
			strings.Replace(unauthenticated, `,"reason":"expired"`, "", 1)), 401, true},
		{"401 with an unknown reason", answer(401, func(h http.Header) { h.Set("WWW-Authenticate", "Bearer") },
			strings.Replace(unauthenticated, `"expired"`, `"audience"`, 1)), 401, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code := "rate_limited"
			if tt.status == 401 {
				code = "unauthenticated"
			}
			got := failures(t, func(tb testing.TB) { WantProblem(tb, tt.res, tt.status, code) })
			if (len(got) > 0) != tt.fails {
				t.Errorf("failures %q, want failing: %v", got, tt.fails)
			}
		})
	}
}

func TestWantNoSecrets(t *testing.T) {
	var b Buffer
	fmt.Fprintln(&b, `{"level":"info","message":"request","path":"/connect"}`)
	fmt.Fprintln(&b, `{"level":"warn","message":"refused","token":"tok-123"}`)
	tests := []struct {
		name    string
		logs    *Buffer
		secrets []string
		fails   bool
	}{
		{"clean", &b, []string{"sk_live_1", "other"}, false},
		{"a secret logged", &b, []string{"sk_live_1", "tok-123"}, true},
		{"an empty secret", &b, []string{""}, true},
		{"no access lines", &Buffer{}, []string{"sk_live_1"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := failures(t, func(tb testing.TB) { tt.logs.WantNoSecrets(tb, tt.secrets...) })
			if (len(got) > 0) != tt.fails {
				t.Errorf("failures %q, want failing: %v", got, tt.fails)
			}
			for _, f := range got {
				if strings.Contains(f, "tok-123") {
					t.Errorf("failure %q names the secret", f)
				}
			}
		})
	}
}

func TestSign(t *testing.T) {
	keys := NewKeys(t)
	tok := Sign(t, jose.ES256, keys.EC, "ec-1", map[string]any{"sub": "ada"})
	parsed, err := jwt.ParseSigned(tok, []jose.SignatureAlgorithm{jose.ES256})
	if err != nil {
		t.Fatal(err)
	}
	if h := parsed.Headers[0]; h.KeyID != "ec-1" || h.ExtraHeaders[jose.HeaderType] != "JWT" {
		t.Errorf("header kid %q typ %v, want ec-1 and JWT", h.KeyID, h.ExtraHeaders[jose.HeaderType])
	}
	var claims map[string]any
	if err := parsed.Claims(keys.JWKS()[1].Key, &claims); err != nil || claims["sub"] != "ada" {
		t.Errorf("claims %v (%v), want sub ada verified by the JWKS key ec-1", claims, err)
	}

	raw := Sign(t, jose.HS256, []byte("0123456789abcdef0123456789abcdef"), "", []byte(`["not","an","object"]`))
	jws, err := jose.ParseSignedCompact(raw, []jose.SignatureAlgorithm{jose.HS256})
	if err != nil {
		t.Fatal(err)
	}
	payload, err := jws.Verify([]byte("0123456789abcdef0123456789abcdef"))
	if err != nil || string(payload) != `["not","an","object"]` {
		t.Errorf("payload %s (%v), want the bytes given", payload, err)
	}
	if kid := jws.Signatures[0].Header.KeyID; kid != "" {
		t.Errorf("kid %q, want none", kid)
	}
}
