package auth

import (
	"errors"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/rs/zerolog"

	"github.com/vaultgate/vaultgate/internal/testkit"
)

func TestHeaderMode(t *testing.T) {
	h := NewHeader(HeaderConfig{
		UserHeader: "X-Forwarded-User", EmailHeader: "X-Forwarded-Email", GroupsHeader: "X-Forwarded-Groups",
		TrustedProxies: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("::1/128")},
	}, zerolog.Nop())
	cases := []struct {
		name    string
		peer    string
		headers map[string]string
		reason  string
		claims  map[string]any
	}{
		{"trusted proxy", "10.1.2.3:5555", map[string]string{"X-Forwarded-User": "ada", "X-Forwarded-Email": "ada@acme.test", "X-Forwarded-Groups": "admins, eng"}, "",
			map[string]any{"sub": "ada", "email": "ada@acme.test", "groups": []any{"admins", "eng"}}},
		{"trusted ipv6 proxy", "[::1]:5555", map[string]string{"X-Forwarded-User": "ada"}, "", map[string]any{"sub": "ada"}},
		{"forged headers from untrusted peer", "192.0.2.7:4444", map[string]string{"X-Forwarded-User": "admin"}, ReasonUntrustedPeer, nil},
		{"ipv4-mapped untrusted", "[::ffff:192.0.2.7]:1", map[string]string{"X-Forwarded-User": "admin"}, ReasonUntrustedPeer, nil},
		{"trusted peer without user", "10.0.0.1:1", nil, ReasonMissing, nil},
		{"control character", "10.0.0.1:1", map[string]string{"X-Forwarded-User": "ada\x01"}, ReasonMalformed, nil},
		{"too long", "10.0.0.1:1", map[string]string{"X-Forwarded-User": strings.Repeat("a", 2000)}, ReasonMalformed, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/connect", nil)
			r.RemoteAddr = tc.peer
			for k, v := range tc.headers {
				r.Header.Set(k, v)
			}
			id, err := h.Authenticate(r)
			if tc.reason != "" {
				var ae *Error
				if !errors.Is(err, ErrUnauthenticated) || !errors.As(err, &ae) || ae.Reason != tc.reason {
					t.Fatalf("err = %v, want reason %s", err, tc.reason)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.claims, id.Claims); diff != "" {
				t.Fatalf("claims (-want +got):\n%s", diff)
			}
		})
	}
}

func TestHeaderModeRejectsRepeatedUserHeader(t *testing.T) {
	h := NewHeader(HeaderConfig{UserHeader: "X-Forwarded-User", TrustedProxies: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}}, zerolog.Nop())
	r := httptest.NewRequest("GET", "/connect", nil)
	r.RemoteAddr = "10.0.0.1:1"
	r.Header.Add("X-Forwarded-User", "ada")
	r.Header.Add("X-Forwarded-User", "admin")
	if _, err := h.Authenticate(r); !errors.Is(err, ErrUnauthenticated) {
		t.Fatalf("err = %v", err)
	}
}

// A proxy missing from AUTH_TRUSTED_PROXIES shows up at the default level
// with its address, once a minute however many requests it sends.
func TestHeaderModeLogsUntrustedPeer(t *testing.T) {
	logs := &testkit.Buffer{}
	h := NewHeader(HeaderConfig{UserHeader: "X-Forwarded-User", TrustedProxies: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}},
		zerolog.New(logs).Level(zerolog.InfoLevel))
	for _, user := range []string{"", "ada", "ada"} {
		r := httptest.NewRequest("GET", "/connect", nil)
		r.RemoteAddr = "192.0.2.7:4444"
		if user != "" {
			r.Header.Set("X-Forwarded-User", user)
		}
		_, err := h.Authenticate(r)
		if err == nil || !strings.Contains(err.Error(), "192.0.2.7") {
			t.Fatalf("err = %v, want one naming the peer", err)
		}
	}
	lines := logs.Lines(t)
	if len(lines) != 1 || lines[0]["peer"] != "192.0.2.7" || lines[0]["level"] != "info" {
		t.Fatalf("want one info line naming the peer, got %s", logs)
	}
	if strings.Contains(logs.String(), "ada") {
		t.Error("the log holds the forged identity")
	}
}
