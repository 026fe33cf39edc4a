package redirect

import (
	"errors"
	"strings"
	"testing"
)

// mustNew builds an Allowlist or fails the test.
func mustNew(t testing.TB, entries ...string) *Allowlist {
	t.Helper()
	a, err := New(entries)
	if err != nil {
		t.Fatalf("New(%q) error = %v", entries, err)
	}
	return a
}

func TestCheckAccepts(t *testing.T) {
	t.Parallel()
	a := mustNew(t,
		"https://app.example.com/integrations/",
		"https://app.example.com/done",
		"http://localhost:3000/cb?from=vault",
		"https://example.org",
		"https://[2001:db8::1]:8443/v/",
	)
	tests := []struct{ raw, want string }{
		{"https://app.example.com/integrations/", "https://app.example.com/integrations/"},
		{"https://app.example.com/integrations/crm", "https://app.example.com/integrations/crm"},
		{"https://app.example.com/integrations/crm/hubspot?tab=1&x=%20y", ""}, // encoded space refused
		{"https://app.example.com/integrations/crm/hubspot?tab=1", "https://app.example.com/integrations/crm/hubspot?tab=1"},
		{"HTTPS://APP.Example.COM/integrations/x", "https://app.example.com/integrations/x"},
		{"https://app.example.com:443/integrations/x", "https://app.example.com/integrations/x"},
		{"https://app.example.com:0443/integrations/x", "https://app.example.com/integrations/x"},
		{"https://app.example.com/integrations/caf%C3%A9", "https://app.example.com/integrations/caf%C3%A9"},
		{"https://app.example.com/done", "https://app.example.com/done"},
		{"https://APP.example.com:443/done", "https://app.example.com/done"},
		{"http://localhost:3000/cb?from=vault", "http://localhost:3000/cb?from=vault"},
		{"http://LOCALHOST:3000/cb?from=vault", "http://localhost:3000/cb?from=vault"},
		{"https://example.org", "https://example.org/"},
		{"https://example.org/", "https://example.org/"},
		{"https://example.org:443", "https://example.org/"},
		{"https://[2001:DB8::1]:8443/v/x", "https://[2001:db8::1]:8443/v/x"},
	}
	for _, tt := range tests {
		t.Run(tt.raw, func(t *testing.T) {
			t.Parallel()
			got, err := a.Check(tt.raw)
			if tt.want == "" {
				if err == nil {
					t.Fatalf("Check() = %q, want refusal", got)
				}
				return
			}
			if err != nil {
				t.Fatalf("Check() error = %v", err)
			}
			if got != tt.want {
				t.Errorf("Check() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestCheckRefuses(t *testing.T) {
	t.Parallel()
	a := mustNew(t,
		"https://allowed.tld/",
		"https://a.com/app/",
		"https://exact.tld/cb",
		"https://q.tld/cb?x=1",
		"http://plain.tld:8080/",
	)
	tests := []struct{ name, raw string }{
		{"empty", ""},
		{"relative", "/app/x"},
		{"scheme-relative", "//evil.com"},
		{"scheme-relative allowed host", "//allowed.tld/"},
		{"slash backslash", "/\\evil.com"},
		{"escaped slashes", "\\/\\/evil.com"},
		{"backslash after scheme", "https:\\\\evil.com"},
		{"backslash in authority", "https://allowed.tld\\@evil.com/"},
		{"backslash in path", "https://allowed.tld/a\\b"},
		{"encoded backslash in path", "https://allowed.tld/%5cevil.com"},
		{"scheme without slashes", "https:evil.com"},
		{"scheme without slashes allowed host", "https:allowed.tld/"},
		{"single slash", "https:/allowed.tld/"},
		{"three slashes", "https:///allowed.tld/"},
		{"javascript", "javascript:alert(1)//https://allowed.tld/"},
		{"data", "data:text/html,https://allowed.tld/"},
		{"ftp", "ftp://allowed.tld/"},
		{"userinfo", "https://allowed.tld@evil.com/"},
		{"userinfo on allowed host", "https://user@allowed.tld/"},
		{"empty userinfo", "https://@allowed.tld/"},
		{"userinfo with password", "https://u:p@allowed.tld/"},
		{"encoded at in authority", "https://allowed.tld%40evil.com/"},
		{"encoded dot in host", "https://allowed.tld%2eevil.com/"},
		{"look-alike suffix", "https://allowed.tld.evil.com/"},
		{"look-alike prefix", "https://evilallowed.tld/"},
		{"subdomain", "https://www.allowed.tld/"},
		{"trailing dot host", "https://allowed.tld./"},
		{"other port", "https://allowed.tld:8443/"},
		{"default port of other scheme", "https://allowed.tld:80/"},
		{"other scheme", "http://allowed.tld/"},
		{"plain without port", "http://plain.tld/"},
		{"fragment", "https://allowed.tld/#x"},
		{"empty fragment", "https://allowed.tld/#"},
		{"fragment hiding an at sign", "https://allowed.tld/x#@evil.com"},
		{"dot dot", "https://a.com/app/../admin"},
		{"dot", "https://a.com/app/./x"},
		{"trailing dot dot", "https://a.com/app/.."},
		{"encoded dot dot", "https://a.com/app/%2e%2e/admin"},
		{"upper encoded dot dot", "https://a.com/app/%2E%2E/admin"},
		{"half encoded dot dot", "https://a.com/app/.%2e/admin"},
		{"double encoded dot dot", "https://a.com/app/%252e%252e/admin"},
		{"dot dot with parameter", "https://a.com/app/..;/admin"},
		{"encoded slash", "https://a.com/app/x%2f..%2fadmin"},
		{"upper encoded slash", "https://a.com/app/%2F%2Fevil.com"},
		{"double encoded slash", "https://a.com/app/%252fevil"},
		{"empty segment", "https://a.com/app//evil.com"},
		{"prefix without boundary", "https://a.com/application"},
		{"prefix parent", "https://a.com/app"},
		{"prefix other case", "https://a.com/APP/x"},
		{"exact with suffix", "https://exact.tld/cb/x"},
		{"exact with query", "https://exact.tld/cb?next=//evil.com"},
		{"exact with empty query", "https://exact.tld/cb?"},
		{"exact other query", "https://q.tld/cb?x=2"},
		{"exact missing query", "https://q.tld/cb"},
		{"tab", "https://allowed.tld/\tx"},
		{"newline", "https://allowed.tld/\nx"},
		{"carriage return", "https://allowed.tld/\rx"},
		{"NUL", "https://allowed.tld/\x00"},
		{"DEL", "https://allowed.tld/\x7f"},
		{"space", "https://allowed.tld/ x"},
		{"leading space", " https://allowed.tld/"},
		{"trailing newline", "https://allowed.tld/\n"},
		{"encoded tab", "https://allowed.tld/%09x"},
		{"encoded newline", "https://allowed.tld/%0a"},
		{"encoded CR in query", "https://allowed.tld/?a=%0D%0ASet-Cookie:x"},
		{"encoded NUL", "https://allowed.tld/%00"},
		{"encoded space", "https://allowed.tld/%20"},
		{"double encoded newline", "https://allowed.tld/%250a"},
		{"triple encoded newline", "https://allowed.tld/%25250a"},
		{"non-ASCII dot in host", "https://allowed。tld/"},
		{"non-ASCII space", "https://allowed.tld/\u2028"},
		{"IDN host", "https://allöwed.tld/"},
		{"encoded host", "https://%61llowed.tld/"},
		{"markup", "https://allowed.tld/?q=<script>"},
		{"quote", "https://allowed.tld/\"onload=x"},
		{"port out of range", "https://allowed.tld:99999/"},
		{"port zero", "https://allowed.tld:0/"},
		{"unparsable port", "https://allowed.tld:x/"},
		{"no host", "https:///"},
		{"port only", "https://:443/"},
		{"IPv6 zone", "https://[fe80::1%25eth0]/"},
		{"unterminated IPv6", "https://[::1/"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := a.Check(tt.raw)
			if err == nil {
				t.Fatalf("Check(%q) = %q, want refusal", tt.raw, got)
			}
			if !errors.Is(err, ErrRefused) {
				t.Errorf("error %v does not wrap ErrRefused", err)
			}
			if got != "" {
				t.Errorf("refused Check returned %q", got)
			}
		})
	}
}

// TestCheckErrorHidesURL guards that a refused URL, whose query may hold
// tokens, never reaches an error message (and so never a log line).
func TestCheckErrorHidesURL(t *testing.T) {
	t.Parallel()
	a := mustNew(t, "https://allowed.tld/")
	for _, raw := range []string{
		"https://evil.tld/?token=sekrit123",
		"https://allowed.tld/%0a?token=sekrit123",
		"https://sekrit123@allowed.tld/",
		"https://allowed.tld/x?token=sekrit123#frag",
	} {
		_, err := a.Check(raw)
		if err == nil {
			t.Fatalf("Check(%q) accepted", raw)
		}
		if strings.Contains(err.Error(), "sekrit123") {
			t.Errorf("error %q echoes the URL", err)
		}
	}
}

func TestEmptyAllowlist(t *testing.T) {
	t.Parallel()
	for _, a := range []*Allowlist{mustNew(t), nil} {
		if n := a.Len(); n != 0 {
			t.Errorf("Len() = %d, want 0", n)
		}
	}
	if got, err := mustNew(t).Check("https://example.com/"); err == nil {
		t.Errorf("empty list accepted %q", got)
	}
}
