package app

import (
	"net/http"
	"slices"
	"testing"

	"github.com/vaultgate/vaultgate/internal/testkit"
)

// A refused credential says why, end to end through the real verifier: the
// client learns enough to react, the access line the precise cause, and a
// misconfigured audience shows what the tokens carry.
func TestRefusalsSayWhy(t *testing.T) {
	t.Parallel()
	s := startStack(t, map[string]string{"AUTH_AUDIENCE": "api://someone-else"})
	good := s.token(t) // right in all but the audience this deployment expects
	tests := []struct {
		name                   string
		header                 http.Header
		challenge, reason, why string
	}{
		{"no credentials", nil, "Bearer", "missing", "missing"},
		{"another scheme", http.Header{"Authorization": {"Basic dXNlcjpwYXNz"}}, "Bearer", "invalid", "malformed"},
		{"wrong audience", bearer(good), `Bearer error="invalid_token"`, "invalid", "audience"},
		{"unknown signer", bearer(s.randomKIDTokens(t, 1)[0]), `Bearer error="invalid_token"`, "invalid", "signature"},
	}
	for _, tt := range tests {
		h := http.Header{"X-Request-Id": {"refusal-" + tt.why}, "Accept": {"application/json"}}
		for k, v := range tt.header {
			h[k] = v
		}
		res, _ := do(t, http.MethodGet, s.public+"/connect", h, "")
		if got := res.Header.Get("WWW-Authenticate"); got != tt.challenge {
			t.Errorf("%s: WWW-Authenticate = %q, want %q", tt.name, got, tt.challenge)
		}
		if p := testkit.WantProblem(t, res, http.StatusUnauthorized, "unauthenticated"); p.Reason != tt.reason {
			t.Errorf("%s: reason = %q, want %q", tt.name, p.Reason, tt.reason)
		}
	}

	causes := map[string]any{}
	var mismatch []map[string]any
	for _, l := range s.logs.Lines(t) {
		if l["message"] == "request" {
			causes[l["request_id"].(string)] = l["auth_reason"]
		}
		if _, ok := l["expected_audience"]; ok {
			mismatch = append(mismatch, l)
		}
	}
	for _, tt := range tests {
		if got := causes["refusal-"+tt.why]; got != tt.why {
			t.Errorf("%s: access line auth_reason = %v, want %s", tt.name, got, tt.why)
		}
	}
	if len(mismatch) != 1 {
		t.Fatalf("%d audience mismatch lines, want 1", len(mismatch))
	}
	if got, _ := mismatch[0]["token_audience"].([]any); mismatch[0]["level"] != "info" ||
		mismatch[0]["expected_audience"] != "api://someone-else" || !slices.Equal(got, []any{testAudience}) {
		t.Errorf("audience mismatch lines = %v, want one at info with both values", mismatch)
	}
	s.logs.WantNoSecrets(t, good)
}
