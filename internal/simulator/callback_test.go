package simulator

import (
	"net/http"
	"slices"
	"strings"
	"testing"
)

func TestCallbackRecordsQueries(t *testing.T) {
	sim, srv := startSim(t)
	queries := []string{
		"state=eyJ.a%2Fb&code=4%2F0Ab+x",
		"error=access_denied&error_description=The+user+said+no&state=s",
		"",
		"code=c&state=s&code=dup&%ZZ",
	}
	wants := []struct {
		status int
		id     string
	}{{200, "callback-received"}, {400, "callback-error"}, {400, "callback-invalid"}, {200, "callback-received"}}
	for i, q := range queries {
		target := srv.URL + "/vault/callback"
		if q != "" {
			target += "?" + q
		}
		r := get(t, target)
		if r.status != wants[i].status || !strings.Contains(string(r.body), `id="`+wants[i].id+`"`) {
			t.Errorf("%q: status %d, want %d with #%s", q, r.status, wants[i].status, wants[i].id)
		}
		if r.header.Get("Cache-Control") != "no-store" {
			t.Errorf("%q: Cache-Control %q", q, r.header.Get("Cache-Control"))
		}
	}
	if got := sim.Callbacks(); !slices.Equal(got, queries) {
		t.Errorf("Callbacks = %q, want %q", got, queries)
	}
	wantAPIError(t, do(t, http.MethodPost, srv.URL+"/vault/callback?code=x", nil), 405, "MethodNotAllowedError")

	for i := range maxCallbacks + 5 {
		get(t, srv.URL+"/vault/callback?n="+strings.Repeat("x", i%3))
	}
	if got := len(sim.Callbacks()); got != maxCallbacks {
		t.Errorf("kept %d callbacks, want the last %d", got, maxCallbacks)
	}
	sim.Reset()
	if got := sim.Callbacks(); len(got) != 0 {
		t.Errorf("after Reset: %q", got)
	}
}
