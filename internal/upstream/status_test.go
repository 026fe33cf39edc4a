package upstream

import (
	"net/http"
	"sync/atomic"
	"testing"
	"time"
)

func TestCreateSessionStatusMapping(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name         string
		status       int
		header       map[string]string
		body         string
		wantKind     Kind // 0 = success
		wantAttempts int
		wantRetry    time.Duration // Error.RetryAfter
		wantOutcome  string
	}{
		{"200", 200, nil, string(sessionBody(testURI, testToken)), 0, 1, 0, outcomeSuccess},
		{"201 counts as success", 201, nil, string(sessionBody(testURI, testToken)), 0, 1, 0, outcomeSuccess},
		{"400", 400, nil, `{"status_code":400,"type_name":"RequestValidationError"}`, KindRejected, 1, 0, outcomeRejected},
		{"401", 401, nil, `{"status_code":401,"type_name":"UnauthorizedError"}`, KindAuth, 1, 0, outcomeAuth},
		{"402", 402, nil, `{"type_name":"RequestLimitError"}`, KindPaymentRequired, 1, 0, outcomePaymentRequired},
		{"403", 403, nil, `<html>forbidden</html>`, KindAuth, 1, 0, outcomeAuth},
		{"404", 404, nil, ``, KindRejected, 1, 0, outcomeRejected},
		{"422", 422, nil, `{"detail":{"x":1}}`, KindRejected, 1, 0, outcomeRejected},
		{"418 other 4xx", 418, nil, ``, KindRejected, 1, 0, outcomeRejected},
		{"429 Retry-After seconds", 429, map[string]string{"Retry-After": "7"}, ``, KindBusy, 1, 7 * time.Second, outcomeRateLimited},
		{"429 retry-after-ms", 429, map[string]string{"retry-after-ms": "2500"}, ``, KindBusy, 1, 2500 * time.Millisecond, outcomeRateLimited},
		{"429 short hint raised to 1s", 429, map[string]string{"retry-after-ms": "20"}, ``, KindBusy, 1, time.Second, outcomeRateLimited},
		{"429 no hint", 429, nil, ``, KindBusy, 1, time.Second, outcomeRateLimited},
		{"408 retried", 408, nil, ``, KindUnavailable, 3, 0, outcomeTimeout},
		{"500 retried", 500, nil, `oops`, KindUnavailable, 3, 0, outcomeServerError},
		{"502 retried", 502, nil, ``, KindUnavailable, 3, 0, outcomeServerError},
		{"503 retried", 503, nil, ``, KindUnavailable, 3, 0, outcomeServerError},
		{"504 retried", 504, nil, ``, KindUnavailable, 3, 0, outcomeServerError},
		{"501 not retried", 501, nil, ``, KindUnavailable, 1, 0, outcomeServerError},
		{"200 HTML", 200, nil, `<!doctype html><html>hi</html>`, KindInvalidResponse, 1, 0, outcomeInvalidResponse},
		{"200 empty", 200, nil, ``, KindInvalidResponse, 1, 0, outcomeInvalidResponse},
		{"200 data null", 200, nil, `{"data":null}`, KindInvalidResponse, 1, 0, outcomeInvalidResponse},
		{"200 missing token", 200, nil, `{"data":{"session_uri":"` + testURI + `"}}`, KindInvalidResponse, 1, 0, outcomeInvalidResponse},
		{"200 missing uri", 200, nil, `{"data":{"session_token":"` + testToken + `"}}`, KindInvalidResponse, 1, 0, outcomeInvalidResponse},
		{"200 token not a string", 200, nil, `{"data":{"session_uri":"` + testURI + `","session_token":42}}`, KindInvalidResponse, 1, 0, outcomeInvalidResponse},
		{"200 foreign origin", 200, nil, string(sessionBody("https://evil.example.test/session/x", testToken)), KindInvalidResponse, 1, 0, outcomeInvalidResponse},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var hits atomic.Int32
			srv := newServer(t, func(w http.ResponseWriter, _ *http.Request) {
				hits.Add(1)
				for k, v := range tt.header {
					w.Header().Set(k, v)
				}
				w.WriteHeader(tt.status)
				_, _ = w.Write([]byte(tt.body))
			})
			tc := newTestClient(t, srv, nil)
			sess, res, err := tc.create(t.Context())
			if got := int(hits.Load()); got != tt.wantAttempts || res.Attempts != tt.wantAttempts {
				t.Errorf("upstream hit %d times, Result.Attempts %d, want %d", got, res.Attempts, tt.wantAttempts)
			}
			if res.Status != tt.status {
				t.Errorf("Result.Status = %d, want %d", res.Status, tt.status)
			}
			if got := tc.outcomes(tt.wantOutcome); got != tt.wantAttempts {
				t.Errorf("outcome %s counted %d times, want %d", tt.wantOutcome, got, tt.wantAttempts)
			}
			if tt.wantKind == 0 {
				if err != nil || sess.Token != testToken {
					t.Fatalf("CreateSession = %+v, %v; want the session", sess, err)
				}
				return
			}
			e := asError(t, err)
			if e.Kind != tt.wantKind || e.Status != tt.status || e.RetryAfter != tt.wantRetry {
				t.Errorf("error kind %v status %d retry %v, want %v %d %v", e.Kind, e.Status, e.RetryAfter, tt.wantKind, tt.status, tt.wantRetry)
			}
			if sess != (Session{}) {
				t.Errorf("failed call returned a session")
			}
		})
	}
}

func TestCreateSessionDoesNotFollowRedirects(t *testing.T) {
	t.Parallel()
	for _, status := range []int{301, 302, 303, 307, 308} {
		t.Run(http.StatusText(status), func(t *testing.T) {
			t.Parallel()
			var followed atomic.Bool
			mux := http.NewServeMux()
			mux.HandleFunc("/elsewhere/", func(w http.ResponseWriter, r *http.Request) {
				followed.Store(true)
				okHandler(w, r)
			})
			mux.HandleFunc("/vault/sessions", func(w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, "/elsewhere/", status)
			})
			srv := newServer(t, mux.ServeHTTP)
			tc := newTestClient(t, srv, nil)
			_, res, err := tc.create(t.Context())
			if e := asError(t, err); e.Kind != KindInvalidResponse || e.Status != status || res.Attempts != 1 {
				t.Errorf("kind %v status %d attempts %d, want invalid_response %d after 1", e.Kind, e.Status, res.Attempts, status)
			}
			if followed.Load() {
				t.Error("redirect was followed")
			}
		})
	}
}

func TestCreateSessionErrorNamesTypeName(t *testing.T) {
	t.Parallel()
	srv := newServer(t, func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(400)
		_, _ = w.Write([]byte(`{"type_name":"RequestValidationError","message":"bad ` + testKey + `"}`))
	})
	tc := newTestClient(t, srv, nil)
	_, _, err := tc.create(t.Context())
	want := "upstream rejected (status 400): apideck answered 400 RequestValidationError"
	if err == nil || err.Error() != want {
		t.Errorf("error = %v, want %q", err, want)
	}
}
