package redirect

import (
	"net/url"
	"strings"
	"testing"
)

func FuzzCheck(f *testing.F) {
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
	a := mustNew(f, "https://allowed.tld/app/")
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

func BenchmarkCheck(b *testing.B) {
	a := mustNew(b,
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
