package handler

import "net/http"

// securityHeaders sets, before anything else can write, the headers every
// public response carries, errors, redirects and preflights included:
// session URIs and tokens must never be cached, leak through Referer,
// be sniffed as another type or be framed.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Cache-Control", "no-store")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		next.ServeHTTP(w, r)
	})
}

// keptOnReset reports whether a response header survives when a failed
// handler's half-built response is replaced by a problem: the headers set
// by the middleware in front of it, not by the handler.
func keptOnReset(name string) bool {
	switch name {
	case "Cache-Control", "Referrer-Policy", "X-Content-Type-Options", "X-Frame-Options",
		headerRequestID, "Vary", "Access-Control-Allow-Origin", "Access-Control-Allow-Credentials",
		"Access-Control-Expose-Headers":
		return true
	}
	return false
}
