package app

import (
	"net/http"
	"regexp"
	"slices"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/google/go-cmp/cmp"

	"github.com/vaultgate/vaultgate/internal/testkit"
)

// The README's authentication examples are run as written: each test reads
// its block from README.md, points the example's external hosts at loopback
// stand-ins and proves the whole /connect flow.

const (
	exampleNavAccept  = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
	exampleJSONAccept = "application/json"
)

// TestReadmeExampleMarkers keeps the set of README examples and the tests
// below in step: a new example without a test fails here.
func TestReadmeExampleMarkers(t *testing.T) {
	var got []string
	for _, m := range regexp.MustCompile(`<!-- example:([^ ]+) -->`).FindAllStringSubmatch(readExampleReadme(t), -1) {
		got = append(got, m[1])
	}
	slices.Sort(got)
	if diff := cmp.Diff([]string{"forward", "header", "oidc", "supabase"}, got); diff != "" {
		t.Errorf("README example markers (-tested +present):\n%s", diff)
	}
}

func TestReadmeExampleOIDC(t *testing.T) {
	idp := newExampleOIDC(t)
	block := readmeExample(t, "oidc")
	vars := swapHosts(t, block, hostSwap{Var: "AUTH_OIDC_ISSUER", Old: "https://acme.eu.auth0.com/", New: idp.issuer})
	if vars["AUTH_OIDC_ISSUER"] != idp.issuer {
		// Discovery requires the document's issuer to match byte for byte.
		t.Fatalf("AUTH_OIDC_ISSUER became %q, not the stand-in's issuer %q", vars["AUTH_OIDC_ISSUER"], idp.issuer)
	}
	st := startStack(t, vars, exactEnv)

	claims := func(aud any) map[string]any {
		now := time.Now()
		return map[string]any{
			"iss": idp.issuer, "sub": "auth0|ada", "aud": aud,
			"iat": now.Unix(), "exp": now.Add(10 * time.Minute).Unix(),
			// What an Auth0 Action adds.
			"https://acme.example/org_id":   "42",
			"https://acme.example/org_name": "Acme",
		}
	}
	// Auth0 access tokens name the API and the userinfo endpoint.
	good := testkit.Sign(t, jose.RS256, idp.key, "rsa-1", claims([]string{block["AUTH_AUDIENCE"], idp.issuer + "userinfo"}))
	otherAudience := testkit.Sign(t, jose.RS256, idp.key, "rsa-1", claims("https://billing.acme.example"))

	withAccept := func(h http.Header, accept string) http.Header {
		h.Set("Accept", accept)
		return h
	}
	st.expect(t, []exampleCase{
		{name: "fetch with the provider's token", header: bearer(good),
			status: 200, consumer: "org_42", metadata: map[string]any{"account_name": "Acme"}},
		{name: "navigation with the token goes to Vault", method: "GET", header: withAccept(bearer(good), exampleNavAccept),
			status: 302, vault: true, consumer: "org_42", metadata: map[string]any{"account_name": "Acme"}},
		{name: "navigation without a token goes to the login page", method: "GET", path: "/connect?unified_apis=crm",
			header: http.Header{"Accept": {exampleNavAccept}}, status: 302, login: "/connect?unified_apis=crm"},
		{name: "fetch without a token", method: "GET", header: http.Header{"Accept": {exampleJSONAccept}},
			status: 401, code: "unauthenticated"},
		{name: "token for another audience", header: bearer(otherAudience), status: 401, code: "unauthenticated"},
	})
	st.logs.WantNoSecrets(t, testAPIKey, good, otherAudience)
}

func TestReadmeExampleSupabase(t *testing.T) {
	const projectSecret = "readme-example-supabase-project-jwt-secret-4f9a"
	block := readmeExample(t, "supabase")
	// `echo secret > file`: the trailing newline is not part of the secret.
	secretFile := writeSecret(t, "supabase_jwt_secret", projectSecret+"\n")
	st := startStack(t, swapHosts(t, block,
		hostSwap{Var: "AUTH_HS256_SECRET_FILE", Old: "/run/secrets/supabase_jwt_secret", New: secretFile}), exactEnv)

	now := time.Now()
	claims := map[string]any{
		"iss": block["AUTH_ISSUER"], "aud": "authenticated", "role": "authenticated",
		"sub": "5b0c6a0e-8f63-4c4e-9d55-0d1f8b2f7c1a", "email": "ada@acme.example",
		"iat": now.Unix(), "exp": now.Add(time.Hour).Unix(),
		"app_metadata":  map[string]any{"provider": "email", "org_id": "org_9"},
		"user_metadata": map[string]any{"full_name": "Ada Lovelace"},
	}
	good := testkit.Sign(t, jose.HS256, []byte(projectSecret), "", claims)
	otherProject := testkit.Sign(t, jose.HS256, []byte("another-project-jwt-secret-of-enough-length"), "", claims)

	cookie := func(tok, site string) http.Header {
		return http.Header{
			"Cookie":         {block["AUTH_COOKIE_NAME"] + "=" + tok},
			"Sec-Fetch-Site": {site},
			"Accept":         {exampleJSONAccept},
		}
	}
	ada := map[string]any{"user_name": "Ada Lovelace", "email": "ada@acme.example"}
	st.expect(t, []exampleCase{
		{name: "same-origin fetch with the session cookie", header: cookie(good, "same-origin"),
			status: 200, consumer: "org_9", metadata: ada},
		{name: "bearer token", header: bearer(good), status: 200, consumer: "org_9", metadata: ada},
		{name: "cross-site request with the cookie", header: cookie(good, "cross-site"), status: 403, code: "cross_site"},
		{name: "token of another project", header: cookie(otherProject, "same-origin"), status: 401, code: "unauthenticated"},
	})
	st.logs.WantNoSecrets(t, testAPIKey, projectSecret, good, otherProject)
}

func TestReadmeExampleForward(t *testing.T) {
	app := newExampleMeEndpoint(t)
	block := readmeExample(t, "forward")
	if ttl, err := time.ParseDuration(block["AUTH_FORWARD_CACHE_TTL"]); err != nil || ttl < 10*time.Second {
		t.Fatalf("AUTH_FORWARD_CACHE_TTL = %q; this test expects a cache that outlives it", block["AUTH_FORWARD_CACHE_TTL"])
	}
	st := startStack(t, swapHosts(t, block,
		hostSwap{Var: "AUTH_FORWARD_URL", Old: "http://app.internal:3000", New: app.srv.URL}), exactEnv)

	browser := http.Header{
		"Cookie":          {"_app_session=" + exampleAppSession},
		"X-Custom":        {"browser-only-7d2e"},
		"User-Agent":      {"readme-example-browser"},
		"Accept":          {"application/json, text/plain, */*"},
		"Accept-Language": {"de-CH"},
	}
	// Each signed-out request has its own cookie, so the count of lookups
	// does not depend on whether refusals are cached.
	signedOut := func(session, accept string) http.Header {
		return http.Header{"Cookie": {"_app_session=" + session}, "Accept": {accept}}
	}
	ada := map[string]any{"account_name": "Acme", "user_name": "Ada", "email": "ada@acme.example"}
	st.expect(t, []exampleCase{
		{name: "signed in", header: browser, status: 200, consumer: "acct_42", metadata: ada,
			after: func(t *testing.T) {
				app.wantCalls(t, 1)
				got := app.lastHeader()
				if diff := cmp.Diff(browser["Cookie"], got.Values("Cookie")); diff != "" {
					t.Errorf("Cookie the app received (-sent +received):\n%s", diff)
				}
				for name, v := range browser {
					if name != "Cookie" && slices.Contains(got.Values(name), v[0]) {
						t.Errorf("the browser's %s reached the app", name)
					}
				}
				if got.Get("X-Custom") != "" {
					t.Error("X-Custom reached the app")
				}
			}},
		{name: "signed in again: answered from the cache", header: browser, status: 200, consumer: "acct_42", metadata: ada,
			after: func(t *testing.T) { app.wantCalls(t, 1) }},
		{name: "no cookie", header: http.Header{"Accept": {exampleJSONAccept}}, status: 401, code: "unauthenticated",
			after: func(t *testing.T) { app.wantCalls(t, 1) }},
		{name: "signed out fetch", header: signedOut("expired-1c4f", exampleJSONAccept), status: 401, code: "unauthenticated",
			after: func(t *testing.T) { app.wantCalls(t, 2) }},
		{name: "signed out navigation goes to the login page", method: "GET", header: signedOut("expired-9b3e", exampleNavAccept),
			status: 302, login: "/connect", after: func(t *testing.T) { app.wantCalls(t, 3) }},
	})

	app.srv.Close()
	down := http.Header{"Cookie": {"_app_session=" + exampleAppSession + "; locale=de"}, "Accept": {exampleJSONAccept}}
	st.expect(t, []exampleCase{
		{name: "app down fails closed", header: down, status: 503, code: "auth_unavailable"},
	})
	st.logs.WantNoSecrets(t, testAPIKey, exampleAppSession)
}

func TestReadmeExampleHeader(t *testing.T) {
	block := readmeExample(t, "header")
	// The test client's peer is loopback, so the proxy network is loopback.
	trusted := startStack(t, swapHosts(t, block,
		hostSwap{Var: "AUTH_TRUSTED_PROXIES", Old: "10.42.0.0/16", New: "127.0.0.1/32"}), exactEnv)
	original := startStack(t, block, exactEnv)

	identity := func(user, email string) http.Header {
		h := http.Header{"Accept": {exampleJSONAccept}}
		if user != "" {
			h.Set(block["AUTH_HEADER_USER"], user)
		}
		h.Set(block["AUTH_HEADER_EMAIL"], email)
		return h
	}
	trusted.expect(t, []exampleCase{
		{name: "identity from the proxy", header: identity("ada", "ada@acme.example"),
			status: 200, consumer: "user_ada", metadata: map[string]any{"email": "ada@acme.example"}},
		{name: "no user header", header: identity("", "ada@acme.example"), status: 401, code: "unauthenticated"},
	})
	original.expect(t, []exampleCase{
		{name: "headers forged from outside the proxy network", header: identity("ada", "ada@acme.example"),
			status: 401, code: "unauthenticated"},
	})
}
