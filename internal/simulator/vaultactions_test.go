package simulator

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// submit posts a Vault page form the way a browser does and follows the
// 303 back to the page.
func submit(t *testing.T, pageURL, unifiedAPI, serviceID, action string, h http.Header) reply {
	t.Helper()
	form := url.Values{"unified_api": {unifiedAPI}, "service_id": {serviceID}, "action": {action}}
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, pageURL, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range h {
		req.Header[k] = v
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return reply{status: resp.StatusCode, header: resp.Header, body: b}
}

func TestVaultPageConnectsAndDisconnects(t *testing.T) {
	sim, srv := startSim(t)
	_, uri := createSession(t, srv.URL, `{"settings":{"unified_apis":["crm","hris"]},"redirect_uri":"https://app.test/back"}`)
	page := string(get(t, uri).body)
	assertContains(t, page,
		`<li id="integration-crm-salesforce">`,
		`<span class="state" id="state-crm-salesforce" data-state="available">available</span>`,
		`<button type="submit" name="action" value="connect" id="connect-crm-salesforce">Connect Salesforce</button>`,
		`<button type="submit" name="action" value="connect" id="connect-crm-hubspot">Connect HubSpot</button>`,
		`<img src="data:image/svg`,
		`<dd id="redirect-uri">https://app.test/back</dd>`,
		`<dd id="application-id">`+testApp+`</dd>`,
	)
	// Only the session's unified APIs: no accounting connector.
	assertLacks(t, page, "Connect Xero", "Disconnect")

	r := submit(t, uri, "crm", Salesforce, "connect", nil)
	if r.status != http.StatusOK {
		t.Fatalf("after connect: status %d", r.status)
	}
	assertPageHeaders(t, r)
	assertContains(t, string(r.body),
		`<span class="state" id="state-crm-salesforce" data-state="callable">callable</span>`,
		`>Disconnect Salesforce</button>`, "Connect HubSpot")
	assertLacks(t, string(r.body), "Connect Salesforce")
	one := decode[connectionOne](t, do(t, http.MethodGet, srv.URL+"/vault/connections/crm/salesforce", validHeaders()).body).Data
	if one["state"] != "callable" {
		t.Errorf("API state after connect = %v", one["state"])
	}

	r = submit(t, uri, "crm", Salesforce, "disconnect", nil)
	assertContains(t, string(r.body), `id="state-crm-salesforce" data-state="available"`, "Connect Salesforce")
	if n := len(listConnections(t, srv.URL, "?configured=true")); n != 0 {
		t.Errorf("%d configured after disconnect", n)
	}
	// Disconnecting what is already gone lands on the page, not an error.
	if r := submit(t, uri, "crm", Salesforce, "disconnect", nil); r.status != http.StatusOK {
		t.Errorf("second disconnect: status %d", r.status)
	}
	// The page's actions are not API calls: only the test's session, GET and list count.
	if n := sim.CallsTo(RouteAny); n != 3 {
		t.Errorf("CallsTo(*) = %d, want 3", n)
	}
}

func TestVaultPageRedirectsRelative(t *testing.T) {
	_, srv := startSim(t)
	token, uri := createSession(t, srv.URL, "")
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, tt := range []struct{ page, want string }{
		{uri, "./" + token},
		{srv.URL + "/integrations/crm/hubspot?jwt=" + token, "./hubspot?jwt=" + token},
	} {
		form := url.Values{"unified_api": {"crm"}, "service_id": {HubSpot}, "action": {"connect"}}
		resp, err := client.PostForm(tt.page, form)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != tt.want {
			t.Errorf("POST %s: %d Location %q, want 303 %q", tt.page[len(srv.URL):len(srv.URL)+20], resp.StatusCode, resp.Header.Get("Location"), tt.want)
		}
	}
}

func TestVaultPageRefusesBadActions(t *testing.T) {
	sim, srv := startSim(t)
	_, uri := createSession(t, srv.URL, `{"settings":{"unified_apis":["crm"],"allow_actions":["reauthorize"]}}`)
	token, _ := createSession(t, srv.URL, `{"settings":{"unified_apis":["crm","accounting"]}}`)
	deep := srv.URL + "/integrations/crm/hubspot?jwt=" + token
	crossSite := http.Header{"Sec-Fetch-Site": {"cross-site"}}
	tests := []struct {
		name, page, api, service, action string
		h                                http.Header
		status                           int
		id                               string
	}{
		{"cross site", uri, "crm", HubSpot, "connect", crossSite, 403, "action-refused"},
		{"not offered", uri, "accounting", Xero, "connect", nil, 404, "integration-unavailable"},
		{"unknown connector", uri, "crm", "zoho", "connect", nil, 404, "integration-unavailable"},
		{"unknown action", uri, "crm", HubSpot, "explode", nil, 400, "bad-form"},
		{"disconnect not allowed", uri, "crm", HubSpot, "disconnect", nil, 403, "action-refused"},
		{"other connector on a deep link", deep, "crm", Salesforce, "connect", nil, 404, "integration-unavailable"},
		{"bad token", srv.URL + "/session/nope", "crm", HubSpot, "connect", nil, 401, "session-invalid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := submit(t, tt.page, tt.api, tt.service, tt.action, tt.h)
			if r.status != tt.status {
				t.Fatalf("status %d, want %d", r.status, tt.status)
			}
			assertPageHeaders(t, r)
			assertContains(t, string(r.body), `id="`+tt.id+`"`)
		})
	}
	if n := len(listConnections(t, srv.URL, "?configured=true")); n != 0 {
		t.Errorf("a refused action connected %d", n)
	}
	// allow_actions without disconnect: connected shows no Disconnect button.
	if err := sim.Connect(testOwner, "crm", HubSpot); err != nil {
		t.Fatal(err)
	}
	page := string(get(t, uri).body)
	assertContains(t, page, `id="state-crm-hubspot" data-state="callable"`)
	assertLacks(t, page, "Disconnect HubSpot")

	big := submit(t, uri, "crm", strings.Repeat("x", maxFormBytes), "connect", nil)
	if big.status != http.StatusBadRequest {
		t.Errorf("oversized form: status %d, want 400", big.status)
	}
}

func TestDeepLinkShowsOneConnector(t *testing.T) {
	_, srv := startSim(t)
	token, _ := createSession(t, srv.URL, `{"settings":{"unified_apis":["crm"]},
		"theme":{"favicon":"https://acme.test/f.ico","logo":"https://acme.test/l.svg","vault_name":"Acme"}}`)
	deep := srv.URL + "/integrations/crm/salesforce?jwt=" + token
	page := string(get(t, deep).body)
	assertContains(t, page, "Connect Salesforce",
		`<dd id="theme-favicon">https://acme.test/f.ico</dd>`,
		`<dd id="theme-logo">https://acme.test/l.svg</dd>`)
	assertLacks(t, page, "Connect HubSpot", "Connect Pipedrive")
	r := submit(t, deep, "crm", Salesforce, "connect", nil)
	assertContains(t, string(r.body), `id="state-crm-salesforce" data-state="callable"`, "Disconnect Salesforce")
	if r := get(t, srv.URL+"/integrations/crm/zoho?jwt="+token); r.status != http.StatusNotFound {
		t.Errorf("deep link to an unknown connector: %d", r.status)
	}
	if csp := r.header.Get("Content-Security-Policy"); !strings.Contains(csp, "form-action 'self'") || strings.Contains(csp, "script-src") {
		t.Errorf("Content-Security-Policy = %q", csp)
	}
}
