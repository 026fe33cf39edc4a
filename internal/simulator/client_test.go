package simulator

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/vaultgate/vaultgate/internal/upstream"
)

// TestRealClient sends what vaultgate's client sends. The simulator rejects
// unknown keys and wrong types, and decodes with its own types, so a field
// the client misspells fails here; the signed claims show every value
// arrived.
func TestRealClient(t *testing.T) {
	sim, srv := startSim(t)
	origin, err := upstream.ParseOrigin(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	client, err := upstream.New(upstream.Config{
		BaseURL: srv.URL, APIKey: testKey, AppID: testApp, VaultOrigin: origin,
		Timeout: 5 * time.Second, MaxConcurrency: 1, BreakerFailures: 5, BreakerCooldown: time.Second,
	}, prometheus.NewRegistry(), zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(client.Close)

	yes, no := true, false
	every := upstream.SessionRequest{
		ConsumerMetadata: &upstream.ConsumerMetadata{AccountName: "Acme", UserName: "Ann", Email: "ann@acme.test", Image: "https://acme.test/a.png"},
		RedirectURI:      "https://app.acme.test/done",
		Settings: &upstream.Settings{
			UnifiedAPIs: []string{"crm", "hris"}, HideResourceSettings: &yes, SandboxMode: &no, IsolationMode: &yes,
			ShowLogs: &no, ShowSuggestions: &yes, ShowSidebar: &no, AutoRedirect: &yes, HideGuides: &no,
			AllowActions: []string{"delete", "disable"}, SessionLength: "30m",
		},
		Theme: &upstream.Theme{
			Favicon: "https://acme.test/f.ico", Logo: "https://acme.test/l.png", PrimaryColor: "#286efa",
			SidepanelBackgroundColor: "#fff", SidepanelTextColor: "#000", VaultName: "Acme",
			PrivacyURL: "https://acme.test/p", TermsURL: "https://acme.test/t",
		},
		CustomConsumerSettings: map[string]any{"tier": "gold"},
	}
	if path := zeroField(reflect.ValueOf(every), "SessionRequest"); path != "" {
		t.Fatalf("%s is not set: every field must travel", path)
	}
	tests := []struct {
		name string
		req  upstream.SessionRequest
		want Claims
	}{
		{"every field", every, Claims{
			ConsumerMetadata: &ConsumerMetadata{AccountName: "Acme", UserName: "Ann", Email: "ann@acme.test", Image: "https://acme.test/a.png"},
			RedirectURI:      "https://app.acme.test/done",
			Settings: Settings{
				UnifiedAPIs: []string{"crm", "hris"}, HideResourceSettings: &yes, SandboxMode: &no, IsolationMode: &yes,
				ShowLogs: &no, ShowSuggestions: &yes, ShowSidebar: &no, AutoRedirect: &yes, HideGuides: &no,
				AllowActions: []string{"delete", "disable"}, SessionLength: "30m",
			},
			Theme: &Theme{
				Favicon: "https://acme.test/f.ico", Logo: "https://acme.test/l.png", PrimaryColor: "#286efa",
				SidepanelBackgroundColor: "#fff", SidepanelTextColor: "#000", VaultName: "Acme",
				PrivacyURL: "https://acme.test/p", TermsURL: "https://acme.test/t",
			},
			CustomConsumerSettings: map[string]any{"tier": "gold"},
		}},
		{"no actions allowed", upstream.SessionRequest{Settings: &upstream.Settings{AllowActions: []string{}}},
			Claims{Settings: Settings{UnifiedAPIs: unifiedAPIs(), AllowActions: []string{}}}},
		{"nothing set", upstream.SessionRequest{}, Claims{Settings: Settings{UnifiedAPIs: unifiedAPIs()}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body, err := json.Marshal(tt.req)
			if err != nil {
				t.Fatal(err)
			}
			sess, _, err := client.CreateSession(t.Context(), testOwner, body)
			if err != nil {
				t.Fatalf("CreateSession: %v (simulator saw %s)", err, sim.LastRequest().Body)
			}
			got, err := sim.VerifyToken(sess.Token)
			if err != nil {
				t.Fatalf("VerifyToken: %v", err)
			}
			want := tt.want
			want.ConsumerID, want.ApplicationID = testOwner, testApp
			if diff := cmp.Diff(want, got, cmpopts.IgnoreFields(Claims{}, "IssuedAt", "ExpiresAt")); diff != "" {
				t.Errorf("claims (-want +got):\n%s", diff)
			}
		})
	}
}

// zeroField returns the path of the first field of v (or of a struct it
// points to) left at its zero value, or "". A non-nil *bool is set.
func zeroField(v reflect.Value, path string) string {
	if v.Kind() == reflect.Pointer && !v.IsNil() && v.Elem().Kind() == reflect.Struct {
		v = v.Elem()
	}
	if v.Kind() != reflect.Struct {
		if v.IsZero() {
			return path
		}
		return ""
	}
	for i := range v.NumField() {
		if p := zeroField(v.Field(i), path+"."+v.Type().Field(i).Name); p != "" {
			return p
		}
	}
	return ""
}
