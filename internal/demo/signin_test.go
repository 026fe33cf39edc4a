package demo

import (
	"crypto/tls"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"github.com/google/go-cmp/cmp"
)

func TestSignInSetsCookie(t *testing.T) {
	ta := newTestApp(t)
	for _, u := range Users() {
		t.Run(u.ID, func(t *testing.T) {
			res := ta.do(t, signInRequest(u.ID))
			if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/" {
				t.Fatalf("got %d to %q, want 303 to /", res.StatusCode, res.Header.Get("Location"))
			}
			c := demoCookie(res)
			if c == nil {
				t.Fatal("no vaultgate_demo cookie set")
			}
			if !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/" || c.Secure || c.MaxAge != 3600 {
				t.Errorf("cookie HttpOnly=%v SameSite=%v Path=%q Secure=%v MaxAge=%d; want true, Lax, /, false, 3600",
					c.HttpOnly, c.SameSite, c.Path, c.Secure, c.MaxAge)
			}

			tok, err := jwt.ParseSigned(c.Value, []jose.SignatureAlgorithm{jose.ES256})
			if err != nil {
				t.Fatalf("cookie is not a JWT: %v", err)
			}
			var got struct {
				Sub     string `json:"sub"`
				OrgName string `json:"org_name"`
				Org     struct {
					ID string `json:"id"`
				} `json:"org"`
			}
			if err := tok.Claims(&ta.iss.key.PublicKey, &got); err != nil {
				t.Fatalf("verify: %v", err)
			}
			if got.Sub != u.ID || got.Org.ID != u.OrgID || got.OrgName != u.OrgName {
				t.Errorf("claims sub=%q org.id=%q org_name=%q; want %q %q %q",
					got.Sub, got.Org.ID, got.OrgName, u.ID, u.OrgID, u.OrgName)
			}
		})
	}
}

func TestSignInSecureOverTLS(t *testing.T) {
	ta := newTestApp(t)
	req := signInRequest("grace")
	req.TLS = &tls.ConnectionState{}
	c := demoCookie(ta.do(t, req))
	if c == nil || !c.Secure {
		t.Fatalf("cookie over TLS = %+v, want Secure", c)
	}
}

func TestSignInRejectsBadForms(t *testing.T) {
	ta := newTestApp(t)
	tests := []struct {
		name string
		body string
	}{
		{"unknown user", "user=mallory"},
		{"missing user", ""},
		{"empty user", "user="},
		{"case differs", "user=Ada"},
		{"oversized form", "user=ada&pad=" + strings.Repeat("x", 8<<10)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodPost, "http://localhost:8080/demo/signin", strings.NewReader(tt.body))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			res := ta.do(t, req)
			b := body(t, res)
			if res.StatusCode != http.StatusBadRequest {
				t.Errorf("status = %d, want 400", res.StatusCode)
			}
			if demoCookie(res) != nil {
				t.Error("a refused sign-in set the cookie")
			}
			if !strings.Contains(b, `id="error"`) || !strings.Contains(res.Header.Get("Content-Type"), "text/html") {
				t.Errorf("want an HTML error page, got %q", b)
			}
		})
	}
}

func TestSignOutClearsCookie(t *testing.T) {
	ta := newTestApp(t)
	req := httptest.NewRequest(http.MethodPost, "http://localhost:8080/demo/signout", nil)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	res := ta.do(t, req)
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/" {
		t.Fatalf("got %d to %q, want 303 to /", res.StatusCode, res.Header.Get("Location"))
	}
	c := demoCookie(res)
	if c == nil {
		t.Fatal("sign-out set no cookie")
	}
	if c.Value != "" || c.MaxAge >= 0 || c.Path != "/" || !c.HttpOnly {
		t.Errorf("cookie Value=%q MaxAge=%d Path=%q HttpOnly=%v; want empty, negative, /, true",
			c.Value, c.MaxAge, c.Path, c.HttpOnly)
	}
}

func TestSignInOutRefuseCrossSite(t *testing.T) {
	ta := newTestApp(t)
	tests := []struct {
		name    string
		headers map[string]string
		want    int
	}{
		{"cross-site fetch metadata", map[string]string{"Sec-Fetch-Site": "cross-site"}, http.StatusForbidden},
		{"same-site fetch metadata", map[string]string{"Sec-Fetch-Site": "same-site"}, http.StatusForbidden},
		{"foreign Origin", map[string]string{"Origin": "http://evil.example"}, http.StatusForbidden},
		{"same-origin", map[string]string{"Sec-Fetch-Site": "same-origin"}, http.StatusSeeOther},
		{"matching Origin", map[string]string{"Origin": "http://localhost:8080"}, http.StatusSeeOther},
		{"user-initiated", map[string]string{"Sec-Fetch-Site": "none"}, http.StatusSeeOther},
		{"no browser headers", nil, http.StatusSeeOther},
	}
	for _, path := range []string{"/demo/signin", "/demo/signout"} {
		for _, tt := range tests {
			t.Run(path+"/"+tt.name, func(t *testing.T) {
				req := httptest.NewRequest(http.MethodPost, "http://localhost:8080"+path, strings.NewReader("user=ada"))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				for k, v := range tt.headers {
					req.Header.Set(k, v)
				}
				res := ta.do(t, req)
				if res.StatusCode != tt.want {
					t.Fatalf("status = %d, want %d", res.StatusCode, tt.want)
				}
				if tt.want == http.StatusForbidden {
					if len(res.Cookies()) != 0 {
						t.Error("a refused request changed cookies")
					}
					if b := body(t, res); !strings.Contains(b, "Cross-site request refused") {
						t.Errorf("want the refusal page, got %q", b)
					}
				}
			})
		}
	}
}

// A browser round trip over a real listener with a cookie jar: sign in,
// land on the signed-in page, sign out, land on the form.
func TestSignInRoundTrip(t *testing.T) {
	ta := newTestApp(t)
	srv := httptest.NewServer(ta.h)
	t.Cleanup(srv.Close)
	client := srv.Client()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	client.Jar = jar

	page := func(res *http.Response, err error) string {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		if res.StatusCode != http.StatusOK || res.Request.URL.Path != "/" {
			t.Fatalf("ended at %d %s, want 200 /", res.StatusCode, res.Request.URL.Path)
		}
		return body(t, res)
	}
	form := "application/x-www-form-urlencoded"

	in := page(client.Post(srv.URL+"/demo/signin", form, strings.NewReader("user=linus")))
	got := []bool{strings.Contains(in, `id="whoami">Linus Torvalds<`), strings.Contains(in, `id="signin"`)}
	if diff := cmp.Diff([]bool{true, false}, got); diff != "" {
		t.Errorf("after sign-in [whoami, form] (-want +got):\n%s", diff)
	}

	out := page(client.Post(srv.URL+"/demo/signout", form, nil))
	got = []bool{strings.Contains(out, `id="whoami"`), strings.Contains(out, `id="signin"`)}
	if diff := cmp.Diff([]bool{false, true}, got); diff != "" {
		t.Errorf("after sign-out [whoami, form] (-want +got):\n%s", diff)
	}
}

// Sign-in continues to return_to only when that is a path on this site.
func TestSignInReturnTo(t *testing.T) {
	ta := newTestApp(t)
	tests := []struct{ returnTo, want string }{
		{"", "/"},
		{"/connect", "/connect"},
		{"/connect?unified_apis=crm&service_id=salesforce", "/connect?unified_apis=crm&service_id=salesforce"},
		{"/demo/connected", "/demo/connected"},
		{"https://evil.example/", "/"},
		{"//evil.example/", "/"},
		{"/\\evil.example/", "/"},
		{"\\\\evil.example/", "/"},
		{"/\t/evil.example/", "/"},
		{"/%0a/evil.example", "/%0a/evil.example"}, // escaped: stays a path here
		{"javascript:alert(1)", "/"},
		{"connect", "/"},
		{"http:/evil.example", "/"},
		{"/" + strings.Repeat("a", maxReturnTo), "/"},
	}
	for _, tt := range tests {
		t.Run(tt.returnTo, func(t *testing.T) {
			req := signInRequest("ada")
			form := url.Values{"user": {"ada"}}
			if tt.returnTo != "" {
				form.Set("return_to", tt.returnTo)
			}
			req.Body = io.NopCloser(strings.NewReader(form.Encode()))
			res := ta.do(t, req)
			if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != tt.want {
				t.Errorf("sign-in went %d to %q, want 303 to %q", res.StatusCode, res.Header.Get("Location"), tt.want)
			}
		})
	}
}
