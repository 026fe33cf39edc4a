package handler

import (
	"errors"
	"net/url"
	"os"
	"strings"
	"testing"
)

// mustAllowlist builds an Allowlist or fails the test.
func mustAllowlist(t testing.TB, entries ...string) *Allowlist {
	t.Helper()
	a, err := NewAllowlist(entries)
	if err != nil {
		t.Fatalf("NewAllowlist(%q) error = %v", entries, err)
	}
	return a
}

func TestAllowlistAccepts(t *testing.T) {
	t.Parallel()
	a := mustAllowlist(t,
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

func TestAllowlistRefuses(t *testing.T) {
	t.Parallel()
	a := mustAllowlist(t,
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
			if !errors.Is(err, errRedirectRefused) {
				t.Errorf("error %v does not wrap errRedirectRefused", err)
			}
			if got != "" {
				t.Errorf("refused Check returned %q", got)
			}
		})
	}
}

// TestCheckErrorHidesURL guards that a refused URL, whose query may hold
// tokens, never reaches an error message (and so never a log line).
func TestAllowlistErrorHidesURL(t *testing.T) {
	t.Parallel()
	a := mustAllowlist(t, "https://allowed.tld/")
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
	for _, a := range []*Allowlist{mustAllowlist(t), nil} {
		if n := a.Len(); n != 0 {
			t.Errorf("Len() = %d, want 0", n)
		}
	}
	if got, err := mustAllowlist(t).Check("https://example.com/"); err == nil {
		t.Errorf("empty list accepted %q", got)
	}
}

func TestNewAllowlist(t *testing.T) {
	t.Parallel()
	a, err := NewAllowlist([]string{"https://a.com/", "http://localhost:8080/cb", "https://a.com/"})
	if err != nil {
		t.Fatalf("NewAllowlist() error = %v", err)
	}
	if a.Len() != 3 {
		t.Errorf("Len() = %d, want 3", a.Len())
	}
}

func TestNewAllowlistReportsEveryProblem(t *testing.T) {
	t.Parallel()
	entries := []string{
		"https://ok.example/",                    // 0: fine
		"/relative",                              // 1
		"ftp://files.example/",                   // 2
		"https://user@host.example/",             // 3
		"https://host.example/cb#frag",           // 4
		"https://host.example/a b",               // 5
		"https://host.example/\\x",               // 6
		"https://host.example/cb?token=s3cr3t\n", // 7: control char; query must not be echoed
		"https:///nohost",                        // 8
		"",                                       // 9
		"https://ok.example/cb?token=s3cr3t",     // 10: fine
	}
	_, err := NewAllowlist(entries)
	if err == nil {
		t.Fatal("NewAllowlist() accepted invalid entries")
	}
	msg := err.Error()
	for _, i := range []string{"1", "2", "3", "4", "5", "6", "7", "8", "9"} {
		if !strings.Contains(msg, "entry "+i+":") {
			t.Errorf("error does not name entry %s:\n%s", i, msg)
		}
	}
	for _, i := range []string{"0", "10"} {
		if strings.Contains(msg, "entry "+i+":") {
			t.Errorf("error names valid entry %s:\n%s", i, msg)
		}
	}
	if strings.Contains(msg, "s3cr3t") {
		t.Errorf("error echoes a query string:\n%s", msg)
	}
	var joined interface{ Unwrap() []error }
	if !errors.As(err, &joined) || len(joined.Unwrap()) != 9 {
		t.Errorf("want 9 joined errors, got %v", err)
	}
}

// corpusLines is the number of lines in testdata/openredirects.txt,
// counted (wc -l) rather than taken from its README. The first line is
// empty, which is itself a payload (an empty redirect); the other 558 are
// not.
const corpusLines = 559

// TestOpenRedirectCorpus runs oauth2-proxy's open-redirect payloads against
// the prefix they were written to escape. Every one must be refused.
func TestOpenRedirectCorpus(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile("testdata/openredirects.txt")
	if err != nil {
		t.Fatal(err)
	}
	text := string(data)
	if !strings.HasSuffix(text, "\n") {
		t.Fatal("corpus does not end in a newline; line count would be off by one")
	}
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	if len(lines) != corpusLines {
		t.Fatalf("corpus has %d lines, want %d", len(lines), corpusLines)
	}
	empty := 0
	for _, l := range lines {
		if l == "" {
			empty++
		}
	}
	if empty != 1 {
		t.Fatalf("corpus has %d empty lines, want 1", empty)
	}

	a := mustAllowlist(t, "https://www.whitelisteddomain.tld/")
	refused := 0
	for i, payload := range lines {
		if got, err := a.Check(payload); err == nil {
			t.Errorf("line %d: %q accepted as %q", i+1, payload, got)
			continue
		}
		refused++
	}
	if refused != corpusLines {
		t.Errorf("refused %d of %d payloads", refused, corpusLines)
	}
}

func FuzzAllowlistCheck(f *testing.F) {
	for _, s := range []string{
		"https://allowed.tld/app/x?y=1",
		"https://ALLOWED.tld:443/app/",
		"https://allowed.tld/app/%2e%2e/x",
		"https://allowed.tld@evil.tld/app/",
		"//evil.tld/app/",
		"https://allowed.tld/app/..;/x",
		"https://allowed.tld/application",
		"https://allowed.tld/app/%250a",
		"http://allowed.tld:8080/app/",
		"https://Allowed.tld/app/%80",
	} {
		f.Add(s)
	}
	a := mustAllowlist(f, "https://allowed.tld/app/")
	f.Fuzz(func(t *testing.T, raw string) {
		got, err := a.Check(raw)
		if err != nil {
			return
		}
		u, perr := url.Parse(got)
		if perr != nil {
			t.Fatalf("accepted %q as %q, which does not parse: %v", raw, got, perr)
		}
		if u.Scheme != "https" || u.Host != "allowed.tld" {
			t.Fatalf("accepted %q as %q: scheme %q host %q", raw, got, u.Scheme, u.Host)
		}
		if u.User != nil || u.Fragment != "" || strings.Contains(got, "#") {
			t.Fatalf("accepted %q as %q with userinfo or fragment", raw, got)
		}
		if !strings.HasPrefix(u.Path, "/app/") || !strings.HasPrefix(got, "https://allowed.tld/app/") {
			t.Fatalf("accepted %q as %q outside /app/", raw, got)
		}
		for _, s := range []string{raw, got} {
			if i := strings.IndexFunc(s, func(r rune) bool { return r <= 0x20 || r >= 0x7f || r == '\\' }); i >= 0 {
				t.Fatalf("accepted %q as %q with byte %#x", raw, got, s[i])
			}
		}
		// The decoded path may hold encoded UTF-8 (%C3%A9), but never a
		// control character or backslash.
		if strings.ContainsFunc(u.Path, func(r rune) bool { return r <= 0x20 || r == 0x7f || r == '\\' }) {
			t.Fatalf("accepted %q as %q with a forbidden byte in the path", raw, got)
		}
		for seg := range strings.SplitSeq(u.Path, "/") {
			if seg == "." || seg == ".." {
				t.Fatalf("accepted %q as %q with a dot segment", raw, got)
			}
		}
		// What is forwarded must itself pass: Check is idempotent.
		if again, err := a.Check(got); err != nil || again != got {
			t.Fatalf("Check(%q) = %q, %v; want it unchanged", got, again, err)
		}
	})
}

func BenchmarkAllowlistCheck(b *testing.B) {
	a := mustAllowlist(b,
		"https://app.example.com/integrations/",
		"https://app.example.com/done",
		"http://localhost:3000/",
	)
	for _, bc := range []struct{ name, raw string }{
		{"accepted", "https://app.example.com/integrations/crm/hubspot?tab=settings"},
		{"refused", "https://app.example.com@evil.com/integrations/"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_, _ = a.Check(bc.raw)
			}
		})
	}
}
