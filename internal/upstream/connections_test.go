package upstream

import (
	"context"
	"net/http"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// fullConnection is one Connection carrying every field of Apideck's
// schema, the ones that must never reach a browser included.
func fullConnection(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("testdata/apideck-connection.json")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestListConnectionsKeepsOnlyTheAllowList(t *testing.T) {
	var got *http.Request
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		got = r.Clone(context.Background())
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"status_code":200,"status":"OK","data":[` + fullConnection(t) +
			`,{"unified_api":"crm","service_id":"hubspot","name":42},{"id":"odd"},"text"],"meta":{"cursors":{}}}`))
	})
	tc := newTestClient(t, srv, nil)
	list, res, err := tc.ListConnections(t.Context(), testConsumer, "crm")
	if err != nil {
		t.Fatal(err)
	}
	yes := true
	want := []Connection{{
		ID: "crm+salesforce", UnifiedAPI: "crm", ServiceID: "salesforce", Name: "Salesforce",
		TagLine: "CRM software solutions and enterprise cloud computing from Salesforce",
		Website: "https://www.salesforce.com", Icon: "https://res.cloudinary.com/apideck/icons/salesforce",
		Logo: "https://www.salesforce.com/logo.png", AuthType: "oauth2", State: "callable", Health: "ok",
		Enabled:   &yes,
		CreatedAt: Millis{time.Date(2025, 12, 1, 12, 0, 0, 123e6, time.UTC)},
		UpdatedAt: Millis{time.Date(2025, 12, 2, 12, 0, 0, 0, time.UTC)},
	}}
	if diff := cmp.Diff(want, list); diff != "" {
		t.Errorf("connections (-want +got):\n%s", diff)
	}
	if res.Dropped != 3 {
		t.Errorf("Dropped = %d, want 3 (a wrong type, no service_id, not an object)", res.Dropped)
	}
	if got.Method != http.MethodGet || got.URL.Path != "/vault/connections" || got.URL.RawQuery != "api=crm" {
		t.Errorf("request %s %s", got.Method, got.URL)
	}
	for name, want := range map[string]string{"Authorization": "Bearer " + testKey, "X-Apideck-App-Id": testAppID,
		"X-Apideck-Consumer-Id": testConsumer, "Content-Type": ""} {
		if v := got.Header.Get(name); v != want {
			t.Errorf("%s = %q, want %q", name, v, want)
		}
	}
	if n := testutil.ToFloat64(tc.m.requests.WithLabelValues(opListConnections, outcomeSuccess)); n != 1 {
		t.Errorf("list_connections successes = %v, want 1", n)
	}
}

func TestConnectionCalls(t *testing.T) {
	huge := `{"data":[` + strings.Repeat(`{"unified_api":"crm","service_id":"x","name":"`+strings.Repeat("a", 1000)+`"},`, 5000) + `{}]}`
	tests := []struct {
		name     string
		status   int
		body     string
		call     string // list, get, delete
		wantKind Kind
		wantHits int32
	}{
		{"get one", 200, `{"data":` + `{"unified_api":"crm","service_id":"salesforce","extra":{"deep":[1,2]}}}`, "get", 0, 1},
		{"get 404", 404, `{"status_code":404,"type_name":"EntityNotFoundError"}`, "get", KindNotFound, 1},
		{"delete 204", 204, ``, "delete", 0, 1},
		{"delete 404", 404, `{}`, "delete", KindNotFound, 1},
		{"delete 503 is not retried", 503, `{}`, "delete", KindUnavailable, 1},
		{"get 503 is retried", 503, `{}`, "get", KindUnavailable, 3},
		{"list 503 is retried", 503, `<html>down</html>`, "list", KindUnavailable, 3},
		{"list HTML", 200, `<html><body>maintenance</body></html>`, "list", KindInvalidResponse, 1},
		{"list without data", 200, `{"status_code":200}`, "list", KindInvalidResponse, 1},
		{"list of 5 MB", 200, huge, "list", KindInvalidResponse, 1},
		{"get with data not an object", 200, `{"data":[]}`, "get", KindInvalidResponse, 1},
		{"list 404 is a rejection", 404, `{}`, "list", KindRejected, 1},
		{"get 401", 401, `{}`, "get", KindAuth, 1},
		{"delete 429", 429, `{}`, "delete", KindBusy, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var hits atomic.Int32
			var path, method string
			srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
				hits.Add(1)
				path, method = r.URL.EscapedPath(), r.Method
				w.WriteHeader(tt.status)
				_, _ = w.Write([]byte(tt.body))
			})
			tc := newTestClient(t, srv, nil)
			var err error
			wantPath, wantMethod := "/vault/connections/crm/salesforce", http.MethodGet
			switch tt.call {
			case "list":
				_, _, err = tc.ListConnections(t.Context(), testConsumer, "")
				wantPath = "/vault/connections"
			case "get":
				_, _, err = tc.GetConnection(t.Context(), testConsumer, "crm", "salesforce")
			case "delete":
				_, err = tc.DeleteConnection(t.Context(), testConsumer, "crm", "salesforce")
				wantMethod = http.MethodDelete
			}
			if tt.wantKind == 0 && err != nil {
				t.Fatalf("error %v", err)
			}
			if tt.wantKind != 0 && (err == nil || asError(t, err).Kind != tt.wantKind) {
				t.Fatalf("error %v, want kind %s", err, tt.wantKind)
			}
			if n := hits.Load(); n != tt.wantHits {
				t.Errorf("%d attempts, want %d", n, tt.wantHits)
			}
			if path != wantPath || method != wantMethod {
				t.Errorf("request %s %s, want %s %s", method, path, wantMethod, wantPath)
			}
			for _, secret := range []string{testKey, "maintenance", "deep"} {
				if strings.Contains(tc.logs.String()+errText(err), secret) {
					t.Errorf("log or error holds %q", secret)
				}
			}
		})
	}
}

func TestConnectionCallsShareTheBreakerAndDeadline(t *testing.T) {
	srv := newHangingServer(t)
	tc := newTestClient(t, srv, func(c *Config) { c.Timeout = 100 * time.Millisecond; c.BreakerFailures = 1 })
	_, _, err := tc.GetConnection(t.Context(), testConsumer, "crm", "salesforce")
	if err == nil || asError(t, err).Kind != KindTimeout {
		t.Fatalf("hanging upstream: %v, want a timeout", err)
	}
	// The timeout opened the circuit for every operation, sessions included.
	if _, _, err := tc.create(t.Context()); err == nil || asError(t, err).Kind != KindCircuitOpen {
		t.Fatalf("after the breaker opened: %v, want circuit open", err)
	}
	if n := testutil.ToFloat64(tc.m.requests.WithLabelValues(opCreateSession, outcomeCircuitOpen)); n != 1 {
		t.Errorf("create_session circuit_open = %v, want 1", n)
	}
	if n := testutil.ToFloat64(tc.m.requests.WithLabelValues(opGetConnection, outcomeTimeout)); n != 1 {
		t.Errorf("get_connection timeout = %v, want 1", n)
	}
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
