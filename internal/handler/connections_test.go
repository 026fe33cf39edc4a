package handler

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vaultgate/vaultgate/internal/auth"
	"github.com/vaultgate/vaultgate/internal/testkit"
	"github.com/vaultgate/vaultgate/internal/upstream"
)

const fetchJSON = "application/json"

func ms(s string) upstream.Millis {
	t, _ := time.Parse(time.RFC3339Nano, s)
	return upstream.Millis{Time: t}
}

func TestListConnectionsView(t *testing.T) {
	yes := true
	e := newEnv(t)
	e.deps.Connect.Settings.AllowActions = nil // unset: every action, delete included
	e.conns.list = func(context.Context, string, string) ([]upstream.Connection, upstream.Result, error) {
		return []upstream.Connection{
			{ID: "crm+salesforce", UnifiedAPI: "crm", ServiceID: "salesforce", Name: "Salesforce",
				TagLine: "CRM", Website: "https://salesforce.com", Icon: "https://i.test/s.svg", Logo: "https://i.test/s.png",
				AuthType: "oauth2", State: "callable", Health: "ok", Enabled: &yes,
				CreatedAt: ms("2025-12-01T12:00:00.123Z"), UpdatedAt: ms("2025-12-02T12:00:00Z")},
			{UnifiedAPI: "crm", ServiceID: "hubspot", Name: "HubSpot", State: "available"},
			{UnifiedAPI: "accounting", ServiceID: "xero", Name: "Xero"},
			{UnifiedAPI: "ats", ServiceID: "greenhouse", Name: "Greenhouse"},     // not offered
			{UnifiedAPI: "crm", ServiceID: "Bad/Id", Name: "Unaddressable"},      // no route can name it
			{UnifiedAPI: "not-an-api", ServiceID: "x", Name: "Unknown upstream"}, // not offered either
		}, upstream.Result{Status: 200, Duration: 7 * time.Millisecond}, nil
	}
	w := e.do(t, authed("GET", "/connections", "", "Accept", fetchJSON))
	if w.Code != http.StatusOK || w.Header().Get("Content-Type") != contentTypeJSON {
		t.Fatalf("answer %d %q: %s", w.Code, w.Header().Get("Content-Type"), w.Body)
	}
	want := `{"consumer_id":"org_42","connections":[` +
		`{"unified_api":"accounting","service_id":"xero","name":"Xero","connect_url":"/connect?unified_apis=accounting&service_id=xero","can_disconnect":true},` +
		`{"unified_api":"crm","service_id":"hubspot","name":"HubSpot","state":"available","connect_url":"/connect?unified_apis=crm&service_id=hubspot","can_disconnect":true},` +
		`{"id":"crm+salesforce","unified_api":"crm","service_id":"salesforce","name":"Salesforce","tag_line":"CRM",` +
		`"website":"https://salesforce.com","icon":"https://i.test/s.svg","logo":"https://i.test/s.png","auth_type":"oauth2",` +
		`"state":"callable","health":"ok","enabled":true,"created_at":"2025-12-01T12:00:00.123Z","updated_at":"2025-12-02T12:00:00Z",` +
		`"connect_url":"/connect?unified_apis=crm&service_id=salesforce","can_disconnect":true}]}` + "\n"
	if diff := cmp.Diff(want, w.Body.String()); diff != "" {
		t.Errorf("body (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"list org_42 "}, e.conns.Calls()); diff != "" {
		t.Errorf("upstream calls (-want +got):\n%s", diff)
	}
	for name, want := range map[string]string{"Cache-Control": "no-store", "Referrer-Policy": "no-referrer",
		"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY"} {
		if got := w.Header().Get(name); got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
	line := e.logs.AccessLines(t)[0]
	if line["route"] != "/connections" || line["consumer_id"] != "org_42" || line["upstream_status"] != 200.0 {
		t.Errorf("access line %v", line)
	}
}

func TestListConnectionsEmptyAndFiltered(t *testing.T) {
	e := newEnv(t)
	w := e.do(t, authed("GET", "/connections?unified_api=hris", ""))
	if w.Code != http.StatusOK || w.Body.String() != `{"consumer_id":"org_42","connections":[]}`+"\n" {
		t.Fatalf("answer %d %s", w.Code, w.Body)
	}
	if diff := cmp.Diff([]string{"list org_42 hris"}, e.conns.Calls()); diff != "" {
		t.Errorf("upstream calls (-want +got):\n%s", diff)
	}
	// An Apideck that ignores api= still shows only that API.
	e.conns.list = func(context.Context, string, string) ([]upstream.Connection, upstream.Result, error) {
		return []upstream.Connection{{UnifiedAPI: "crm", ServiceID: "salesforce"}}, upstream.Result{}, nil
	}
	if w = e.do(t, authed("GET", "/connections?unified_api=hris", "")); !strings.Contains(w.Body.String(), `"connections":[]`) {
		t.Errorf("body %s, want no crm connection", w.Body)
	}
	// can_disconnect follows VAULT_ALLOW_ACTIONS: the test config allows none.
	e.conns.list = func(context.Context, string, string) ([]upstream.Connection, upstream.Result, error) {
		return []upstream.Connection{{UnifiedAPI: "hris", ServiceID: "bamboohr"}}, upstream.Result{}, nil
	}
	w = e.do(t, authed("GET", "/connections", ""))
	if !strings.Contains(w.Body.String(), `"can_disconnect":false`) {
		t.Errorf("body %s, want can_disconnect false", w.Body)
	}
}

func TestConnectionsBadInput(t *testing.T) {
	tests := []struct {
		name, method, target string
		status               int
		code                 string
	}{
		{"unified_api outside the offered list", "GET", "/connections?unified_api=ats", 400, codeInvalidUnifiedAPIs},
		{"unified_api unknown", "GET", "/connections?unified_api=nope", 400, codeInvalidUnifiedAPIs},
		{"unified_api empty", "GET", "/connections?unified_api=", 400, codeInvalidUnifiedAPIs},
		{"unified_api twice", "GET", "/connections?unified_api=crm&unified_api=hris", 400, codeInvalidRequest},
		{"malformed query", "GET", "/connections?unified_api=%zz", 400, codeInvalidRequest},
		{"unknown unified API", "GET", "/connections/nope/salesforce", 400, codeInvalidRequest},
		{"upper-case service", "GET", "/connections/crm/Salesforce", 400, codeInvalidRequest},
		{"service too long", "GET", "/connections/crm/" + strings.Repeat("a", 65), 400, codeInvalidRequest},
		{"encoded slash", "GET", "/connections/crm/sales%2Fforce", 400, codeInvalidRequest},
		{"encoded dot-dot", "DELETE", "/connections/crm/%2E%2E", 400, codeInvalidRequest},
		{"known API not offered", "GET", "/connections/ats/greenhouse", 404, codeNotFound},
		{"delete of an API not offered", "DELETE", "/connections/ats/greenhouse", 404, codeNotFound},
		{"three segments", "GET", "/connections/crm/salesforce/x", 404, codeNotFound},
		{"PUT", "PUT", "/connections/crm/salesforce", 405, codeMethodNotAllowed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			e.deps.Connect.Settings.AllowActions = nil
			w := e.do(t, authed(tt.method, tt.target, "", "Accept", fetchJSON))
			testkit.WantProblem(t, w.Result(), tt.status, tt.code)
			if calls := e.conns.Calls(); len(calls) != 0 {
				t.Errorf("upstream called: %v", calls)
			}
		})
	}
}

func TestGetConnection(t *testing.T) {
	e := newEnv(t)
	e.conns.get = func(_ context.Context, _, api, service string) (upstream.Connection, upstream.Result, error) {
		if service == "gone" {
			return upstream.Connection{}, upstream.Result{Status: 404}, &upstream.Error{Kind: upstream.KindNotFound, Status: 404}
		}
		if service == "down" {
			return upstream.Connection{}, upstream.Result{Status: 503}, &upstream.Error{Kind: upstream.KindUnavailable, Status: 503}
		}
		return upstream.Connection{UnifiedAPI: api, ServiceID: service, Name: "Salesforce", State: "added"}, upstream.Result{Status: 200}, nil
	}
	w := e.do(t, authed("GET", "/connections/crm/salesforce", ""))
	want := `{"unified_api":"crm","service_id":"salesforce","name":"Salesforce","state":"added",` +
		`"connect_url":"/connect?unified_apis=crm&service_id=salesforce","can_disconnect":false}` + "\n"
	if w.Code != 200 || w.Body.String() != want {
		t.Errorf("answer %d %s", w.Code, w.Body)
	}
	testkit.WantProblem(t, e.do(t, authed("GET", "/connections/crm/gone", "")).Result(), 404, codeNotFound)
	testkit.WantProblem(t, e.do(t, authed("GET", "/connections/crm/down", "")).Result(), 502, codeUpstreamUnavailable)
	lines := e.logs.AccessLines(t)
	if lines[0]["route"] != routeConnection || lines[1]["code"] != codeNotFound {
		t.Errorf("access lines %v", lines)
	}
}

func TestDeleteConnection(t *testing.T) {
	cookie := func(r *http.Request) bool { return r.Header.Get("Cookie") != "" }
	tests := []struct {
		name      string
		actions   []string
		headers   []string
		status    int
		code      string
		wantCalls []string
	}{
		{"allowed while unset", nil, nil, 204, "", []string{"delete org_42 crm salesforce"}},
		{"allowed when listed", []string{"disconnect", "delete"}, nil, 204, "", []string{"delete org_42 crm salesforce"}},
		{"refused when not listed", []string{"disconnect"}, nil, 403, codeActionNotAllowed, nil},
		{"refused when empty", []string{}, nil, 403, codeActionNotAllowed, nil},
		{"cross-site with a cookie", nil, []string{"Cookie", "s=1", "Sec-Fetch-Site", "cross-site"}, 403, codeCrossSite, nil},
		{"foreign Origin with a cookie", nil, []string{"Cookie", "s=1", "Origin", "https://evil.example"}, 403, codeCrossSite, nil},
		{"CORS origin with a cookie", nil, []string{"Cookie", "s=1", "Origin", "https://app.example.com"}, 204, "", []string{"delete org_42 crm salesforce"}},
		{"prefetch header does not apply", nil, []string{"Sec-Purpose", "prefetch"}, 204, "", []string{"delete org_42 crm salesforce"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			e.auth.ambient = cookie
			e.deps.Connect.Settings.AllowActions = tt.actions
			w := e.do(t, authed("DELETE", "/connections/crm/salesforce", "", tt.headers...))
			if tt.code != "" {
				testkit.WantProblem(t, w.Result(), tt.status, tt.code)
			} else if w.Code != tt.status || w.Body.Len() != 0 {
				t.Errorf("answer %d %q, want %d without a body", w.Code, w.Body, tt.status)
			}
			if diff := cmp.Diff(tt.wantCalls, e.conns.Calls()); diff != "" {
				t.Errorf("upstream calls (-want +got):\n%s", diff)
			}
		})
	}

	e := newEnv(t)
	e.deps.Connect.Settings.AllowActions = nil
	e.conns.delete = func(context.Context, string, string, string) (upstream.Result, error) {
		return upstream.Result{Status: 404}, &upstream.Error{Kind: upstream.KindNotFound, Status: 404}
	}
	testkit.WantProblem(t, e.do(t, authed("DELETE", "/connections/crm/salesforce", "")).Result(), 404, codeNotFound)
}

func TestConnectionsGuards(t *testing.T) {
	e := newEnv(t)
	testkit.WantProblem(t, e.do(t, authed("GET", "/connections", "", "Sec-Purpose", "prefetch;prerender")).Result(), 400, codePrefetchRefused)
	testkit.WantProblem(t, e.do(t, authed("GET", "/connections/crm/salesforce", "", "Purpose", "prefetch")).Result(), 400, codePrefetchRefused)
	testkit.WantProblem(t, e.do(t, request("GET", "/connections", "", "Accept", fetchJSON)).Result(), 401, codeUnauthenticated)
	e.auth.authenticate = func(*http.Request) (auth.Identity, error) {
		return auth.Identity{Subject: "u", Claims: map[string]any{"sub": "u"}}, nil // no org_id
	}
	testkit.WantProblem(t, e.do(t, request("DELETE", "/connections/crm/salesforce", "")).Result(), 403, codeNoConsumer)
	if calls := e.conns.Calls(); len(calls) != 0 {
		t.Errorf("upstream called: %v", calls)
	}
}

// TestConnectionsSharedCalls checks that identical GETs in flight share one
// upstream call, different ones do not, and a panic inside a shared call
// is answered as an internal error without ending the process.
func TestConnectionsSharedCalls(t *testing.T) {
	e := newEnv(t)
	release := make(chan struct{})
	e.conns.list = func(_ context.Context, _, api string) ([]upstream.Connection, upstream.Result, error) {
		<-release
		if api == "hris" {
			panic("boom")
		}
		return []upstream.Connection{{UnifiedAPI: "crm", ServiceID: "salesforce"}}, upstream.Result{Status: 200}, nil
	}
	var mu sync.Mutex
	authed := 0
	e.auth.authenticate = func(*http.Request) (auth.Identity, error) {
		mu.Lock()
		authed++
		mu.Unlock()
		return testIdentity(), nil
	}
	h := NewPublic(e.deps)
	targets := []string{"/connections", "/connections", "/connections", "/connections?unified_api=crm", "/connections?unified_api=hris", "/connections?unified_api=hris"}
	codes := make([]int, len(targets))
	var wg sync.WaitGroup
	for i, target := range targets {
		wg.Go(func() {
			w := httptest.NewRecorder()
			h.ServeHTTP(w, request("GET", target, ""))
			codes[i] = w.Code
		})
	}
	testkit.Eventually(t, "every request past authentication, three distinct calls in flight", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return authed == len(targets) && len(e.conns.Calls()) == 3
	})
	// Past authentication, a request joins its call at once; this grace only
	// keeps a descheduled goroutine from arriving after the release.
	time.Sleep(100 * time.Millisecond)
	close(release)
	wg.Wait()
	if diff := cmp.Diff([]int{200, 200, 200, 200, 500, 500}, codes); diff != "" {
		t.Errorf("statuses (-want +got):\n%s", diff)
	}
	if n := len(e.conns.Calls()); n != 3 {
		t.Errorf("%d upstream calls, want 3", n)
	}
	if !strings.Contains(e.logs.String(), "panic in a shared upstream call") {
		t.Error("the panic was not logged")
	}
}

func TestConnectionsCallerLeavesSharedCall(t *testing.T) {
	e := newEnv(t)
	started, release, got := make(chan struct{}), make(chan struct{}), make(chan error, 1)
	e.conns.list = func(ctx context.Context, _, _ string) ([]upstream.Connection, upstream.Result, error) {
		close(started)
		<-release
		got <- ctx.Err()
		return nil, upstream.Result{}, nil
	}
	h := NewPublic(e.deps)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() {
		defer close(done)
		h.ServeHTTP(httptest.NewRecorder(), authed("GET", "/connections", "").WithContext(ctx))
	}()
	<-started
	cancel()
	// The call runs on the first caller's goroutine, which waits for it.
	close(release)
	<-done
	if err := <-got; errors.Is(err, context.Canceled) {
		t.Error("the shared call was canceled with its first caller")
	}
}

func TestConnectionsCORSPreflight(t *testing.T) {
	e := newEnv(t)
	srv := httptest.NewServer(NewPublic(e.deps))
	t.Cleanup(srv.Close)
	for _, path := range []string{"/connections", "/connections/crm/salesforce"} {
		r, _ := http.NewRequestWithContext(t.Context(), "OPTIONS", srv.URL+path, nil)
		r.Header.Set("Origin", "https://app.example.com")
		r.Header.Set("Access-Control-Request-Method", "DELETE")
		res, err := http.DefaultClient.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != 204 || res.Header.Get("Access-Control-Allow-Origin") != "https://app.example.com" ||
			!strings.Contains(res.Header.Get("Access-Control-Allow-Methods"), "DELETE") {
			t.Errorf("%s preflight: %d %v", path, res.StatusCode, res.Header)
		}
	}
}

// TestConnectionViewMembers checks that a view's members are exactly the
// contract's, in its order.
func TestConnectionViewMembers(t *testing.T) {
	yes := true
	c := &connectionRoutes{cfg: testConnectConfig(t)}
	b, err := json.Marshal(c.view(upstream.Connection{ID: "a", UnifiedAPI: "crm", ServiceID: "b", Name: "c", TagLine: "d",
		Website: "e", Icon: "f", Logo: "g", AuthType: "h", State: "i", Health: "j", Enabled: &yes,
		CreatedAt: ms("2026-01-01T00:00:00Z"), UpdatedAt: ms("2026-01-01T00:00:00Z")}))
	if err != nil {
		t.Fatal(err)
	}
	var members []string
	dec := json.NewDecoder(strings.NewReader(string(b)))
	_, _ = dec.Token()
	for dec.More() {
		k, _ := dec.Token()
		members = append(members, k.(string))
		var skip json.RawMessage
		_ = dec.Decode(&skip)
	}
	want := strings.Fields("id unified_api service_id name tag_line website icon logo auth_type state health enabled created_at updated_at connect_url can_disconnect")
	if diff := cmp.Diff(want, members); diff != "" {
		t.Errorf("members (-want +got):\n%s", diff)
	}
}
