package demo

import (
	"net/http"
	"strings"
)

// RelativeRedirects returns middleware that turns a Location header on
// origin into a path-relative one, so a browser that reached the demo under
// another name (127.0.0.1, a LAN address, a forwarded port) stays on that
// name. vaultgate's configuration names one origin for the app and Vault
// (the session_uri check, the login URL, the redirect allow-list); a real
// deployment has one public name, the demo does not know its own. This is
// what a reverse proxy's proxy_redirect does for an upstream that knows only
// its canonical name, and it runs after vaultgate's checks, which stay as
// they are: only a Location vaultgate already accepted is shortened.
func RelativeRedirects(origin string) func(http.Handler) http.Handler {
	origin = strings.TrimSuffix(origin, "/")
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			next.ServeHTTP(&locationWriter{ResponseWriter: w, origin: origin}, r)
		})
	}
}

// locationWriter rewrites the Location header once, just before the header
// is sent.
type locationWriter struct {
	http.ResponseWriter
	origin string
	sent   bool
}

func (l *locationWriter) WriteHeader(code int) {
	if code >= 200 {
		l.rewrite()
	}
	l.ResponseWriter.WriteHeader(code)
}

func (l *locationWriter) Write(b []byte) (int, error) {
	l.rewrite()
	return l.ResponseWriter.Write(b)
}

// Flush keeps event streams flowing through the wrapper.
func (l *locationWriter) Flush() {
	l.rewrite()
	_ = http.NewResponseController(l.ResponseWriter).Flush()
}

// Unwrap lets http.ResponseController reach the connection (write
// deadlines of event streams).
func (l *locationWriter) Unwrap() http.ResponseWriter { return l.ResponseWriter }

func (l *locationWriter) rewrite() {
	if l.sent {
		return
	}
	l.sent = true
	h := l.Header()
	if loc := h.Get("Location"); loc != "" {
		if rel, ok := relativeTo(l.origin, loc); ok {
			h.Set("Location", rel)
		}
	}
}

// relativeTo returns loc without origin when loc lies on it. A remainder
// that a browser would read as another host ("//evil.example",
// "/\evil.example") is left absolute.
func relativeTo(origin, loc string) (string, bool) {
	rest, ok := strings.CutPrefix(loc, origin)
	if !ok {
		return "", false
	}
	switch {
	case rest == "" || rest[0] == '?' || rest[0] == '#':
		return "/" + rest, true
	case rest[0] != '/' || strings.HasPrefix(rest, "//") || strings.HasPrefix(rest, `/\`):
		return "", false
	}
	return rest, true
}
