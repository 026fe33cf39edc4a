package handler

import (
	"crypto/rand"
	"encoding/hex"
	"net/http"

	"github.com/rs/zerolog"
)

const (
	headerRequestID = "X-Request-Id"
	maxRequestIDLen = 128
)

// requestID takes the caller's X-Request-Id when it is safe to echo and log
// (1–128 of [A-Za-z0-9._-]), otherwise makes one. It echoes the id on the
// response and puts it, with a logger carrying it, into the context.
func requestID(log zerolog.Logger) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			id := r.Header.Get(headerRequestID)
			if !validRequestID(id) {
				id = newRequestID()
			}
			w.Header().Set(headerRequestID, id)
			l := log.With().Str("request_id", id).Logger()
			ctx := l.WithContext(withRequestID(r.Context(), id))
			next.ServeHTTP(w, r.WithContext(ctx))
		})
	}
}

// validRequestID reports whether id may be echoed and logged as it is.
func validRequestID(id string) bool {
	if len(id) == 0 || len(id) > maxRequestIDLen {
		return false
	}
	for i := range len(id) {
		c := id[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '.', c == '_', c == '-':
		default:
			return false
		}
	}
	return true
}

// newRequestID returns 16 random bytes in hex.
func newRequestID() string {
	var b [16]byte
	// crypto/rand.Read never returns an error (it crashes the program
	// instead when the system's source fails).
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
