package app

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/vaultgate/vaultgate/internal/demo"
	"github.com/vaultgate/vaultgate/internal/simulator"
)

// -check -probe tells an operator whether the keys and the Apideck account
// work, before anything is served, and prints no secret.
func TestRunCheckProbe(t *testing.T) {
	t.Parallel()
	sim, err := simulator.New(simulator.Config{APIKey: testAPIKey, AppID: testAppID})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	issuer, err := demo.NewIssuer(srv.URL+"/idp", testAudience)
	if err != nil {
		t.Fatal(err)
	}
	mux.Handle("/idp/jwks.json", issuer.JWKS())
	mux.Handle("/", sim)
	env := func(key, jwks string) []string {
		return []string{"APIDECK_API_KEY=" + key, "APIDECK_APP_ID=" + testAppID, "APIDECK_BASE_URL=" + srv.URL,
			"VAULT_ORIGIN=" + srv.URL, "AUTH_JWKS_URL=" + jwks, "AUTH_ISSUER=" + srv.URL + "/idp", "AUTH_AUDIENCE=" + testAudience}
	}
	tests := []struct {
		name    string
		environ []string
		want    []string
		wantErr bool
	}{
		{"all good", env(testAPIKey, srv.URL+"/idp/jwks.json"),
			[]string{"configuration OK", "keys: ok", "Apideck: ok, the API key and app id were accepted (6 connectors listed)"}, false},
		{"wrong key", env("sk_wrong_key_0123456789", srv.URL+"/idp/jwks.json"),
			[]string{"keys: ok", "Apideck: FAILED: Apideck refused the API key or app id (HTTP 401)"}, true},
		{"no JWKS there", env(testAPIKey, srv.URL+"/nothing.json"),
			[]string{"keys: FAILED", "Apideck: ok"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var out bytes.Buffer
			err := Run(t.Context(), tt.environ, []string{"-check", "-probe"}, &out, &out)
			if (err != nil) != tt.wantErr {
				t.Fatalf("Run = %v, want error %v; output:\n%s", err, tt.wantErr, out.String())
			}
			for _, want := range tt.want {
				if !strings.Contains(out.String(), want) {
					t.Errorf("output lacks %q:\n%s", want, out.String())
				}
			}
			for _, secret := range []string{testAPIKey, "sk_wrong_key"} {
				if strings.Contains(out.String(), secret) {
					t.Errorf("output holds a key:\n%s", out.String())
				}
			}
		})
	}
	if err := Run(t.Context(), env(testAPIKey, srv.URL+"/idp/jwks.json"), []string{"-probe"}, &bytes.Buffer{}, &bytes.Buffer{}); err == nil {
		t.Error("-probe without -check: want an error")
	}
}
