package testkit

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
)

// Problem is an error body as vaultgate writes it: RFC 9457 members plus
// code and request_id, reason on an unauthenticated one, and nothing else.
type Problem struct {
	Type      string `json:"type"`
	Title     string `json:"title"`
	Status    int    `json:"status"`
	Detail    string `json:"detail"`
	Code      string `json:"code"`
	RequestID string `json:"request_id"`
	Reason    string `json:"reason,omitempty"`
}

// WantProblem checks that res is the problem with this status and code: the
// status, the application/problem+json media type, a body with exactly
// Problem's members and the same status and code, a request_id equal to the
// X-Request-Id header, a reason (missing, expired, invalid) exactly on
// unauthenticated and, on a 401, a Bearer challenge. It reads res.Body and
// returns the problem.
func WantProblem(t testing.TB, res *http.Response, status int, code string) Problem {
	t.Helper()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("reading the problem body: %v", err)
	}
	ct := res.Header.Get("Content-Type")
	if res.StatusCode != status || ct != "application/problem+json" {
		t.Fatalf("answer = %d %q, want %d application/problem+json: %s", res.StatusCode, ct, status, describe(ct, body))
	}
	var p Problem
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		t.Fatalf("problem body does not decode: %v (%s)", err, body)
	}
	if p.Status != status || p.Code != code {
		t.Fatalf("problem = %+v, want status %d code %s", p, status, code)
	}
	if id := res.Header.Get("X-Request-Id"); p.RequestID == "" || p.RequestID != id {
		t.Errorf("problem request_id = %q, X-Request-Id %q: want them equal and set", p.RequestID, id)
	}
	switch p.Reason {
	case "missing", "expired", "invalid":
		if code != "unauthenticated" {
			t.Errorf("problem %s has reason %q, which only unauthenticated carries", code, p.Reason)
		}
	case "":
		if code == "unauthenticated" {
			t.Errorf("unauthenticated problem without a reason")
		}
	default:
		t.Errorf("problem reason = %q, want missing, expired or invalid", p.Reason)
	}
	if challenge := res.Header.Get("WWW-Authenticate"); status == http.StatusUnauthorized && !strings.HasPrefix(challenge, "Bearer") {
		t.Errorf("WWW-Authenticate = %q, want a Bearer challenge", challenge)
	}
	return p
}

// describe shows a problem body in full and of any other body only its size
// and type: a success body holds a bearer credential.
func describe(contentType string, body []byte) string {
	if contentType == "application/problem+json" {
		return string(body)
	}
	return fmt.Sprintf("%d-byte %q body", len(body), contentType)
}
