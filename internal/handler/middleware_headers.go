package handler

import "net/http"

// securityHeaders sets, before anything else can write, the headers every
// public response carries, errors, redirects and preflights included:
// session URIs and tokens must never be cached, leak through Referer,
// be sniffed as another type or be framed.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// One backing array for the four values: one allocation per
		// request instead of four. Each header gets its own slice capped at
		// one element, so appending to one never writes into another.
		v := []string{"no-store", "no-referrer", "nosniff", "DENY"}
		h := w.Header()
		h["Cache-Control"] = v[0:1:1]
		h["Referrer-Policy"] = v[1:2:2]
		h["X-Content-Type-Options"] = v[2:3:3]
		h["X-Frame-Options"] = v[3:4:4]
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
