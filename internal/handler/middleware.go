package handler

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	"github.com/rs/cors"
	"github.com/rs/zerolog"
)

const (
	headerRequestID = "X-Request-Id"
	maxRequestIDLen = 128
	corsMaxAge      = 600 // seconds a browser may cache a preflight
)

// observe is the public listener's outermost middleware. It gives the
// request an id and a logger carrying it, sets the security headers, turns
// a panic into a logged stack and a 500 problem, and counts the request
// and writes its one access line.
func observe(log zerolog.Logger, m *metrics, p *problems) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			start := time.Now()
			// The caller's id is echoed and logged only when it is safe to.
			id := r.Header.Get(headerRequestID)
			if !validRequestID(id) {
				id = newRequestID()
			}
			// Set before anything can write, so every answer carries them:
			// session URIs and tokens must never be cached, leak through
			// Referer, be sniffed as another type or be framed.
			h := w.Header()
			h.Set("Cache-Control", "no-store")
			h.Set("Referrer-Policy", "no-referrer")
			h.Set("X-Content-Type-Options", "nosniff")
			h.Set("X-Frame-Options", "DENY")
			h.Set(headerRequestID, id)

			log := log.With().Str("request_id", id).Logger()
			out := &outcome{}
			r = r.WithContext(context.WithValue(log.WithContext(r.Context()), outcomeKey{}, out))
			sw := &statusWriter{ResponseWriter: w}
			defer func() {
				v := recover()
				if v == nil {
					// net/http sends 200 when the handler wrote nothing.
					m.record(r, cmp.Or(sw.status, http.StatusOK), time.Since(start), *out)
					return
				}
				// Once the response has started, the connection is aborted
				// so the client never takes a truncated answer for a whole one.
				abort := v == http.ErrAbortHandler || sw.status != 0
				if v != http.ErrAbortHandler {
					log.Error().Str("method", methodLabel(r.Method)).
						Str("path", r.URL.Path). // a query may carry tokens
						Str("panic", fmt.Sprint(v)).
						Bytes("stack", debug.Stack()).
						Msg("panic while serving a request")
				}
				out.code = codeInternal
				if !abort {
					for name := range h {
						if !keptOnReset(name) {
							h.Del(name)
						}
					}
					p.answer(sw, r, codeInternal, p.types[codeInternal], 0)
				}
				m.record(r, http.StatusInternalServerError, time.Since(start), *out)
				if abort {
					panic(http.ErrAbortHandler)
				}
			}()
			next.ServeHTTP(sw, r)
		})
	}
}

// keptOnReset reports whether a response header survives when a panicking
// handler's half-built response is replaced by a problem: those set by the
// middleware, not by the handler.
func keptOnReset(name string) bool {
	switch name {
	case "Cache-Control", "Referrer-Policy", "X-Content-Type-Options", "X-Frame-Options",
		headerRequestID, "Vary", "Access-Control-Allow-Origin", "Access-Control-Allow-Credentials",
		"Access-Control-Expose-Headers":
		return true
	}
	return false
}

// validRequestID reports whether id is 1–128 of [A-Za-z0-9._-].
func validRequestID(id string) bool {
	return len(id) > 0 && len(id) <= maxRequestIDLen && !strings.ContainsFunc(id, func(c rune) bool {
		return !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '_' || c == '-')
	})
}

// newRequestID returns 16 random bytes in hex.
func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // never fails: crypto/rand crashes the program instead
	return hex.EncodeToString(b[:])
}

// corsMiddleware answers CORS for exactly the configured origins. It does
// not hand them to rs/cors's own list, which would read "*" and
// "https://*.example.com" as wildcards: with credentials allowed, a
// wildcard would hand every matching site the user's session.
func corsMiddleware(origins []string) func(http.Handler) http.Handler {
	return cors.New(cors.Options{
		AllowOriginFunc:  func(origin string) bool { return slices.Contains(origins, origin) },
		AllowedMethods:   []string{http.MethodGet, http.MethodPost},
		AllowedHeaders:   []string{"Authorization", "Content-Type", headerRequestID},
		ExposedHeaders:   []string{headerRequestID},
		AllowCredentials: true,
		MaxAge:           corsMaxAge,
		// Preflights reach the router, so they are logged under their route
		// and answered (or refused) by it.
		OptionsPassthrough: true,
	}).Handler
}

// statusWriter remembers the final status a handler sent; 0 until then.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 && code >= 200 { // 1xx are informational
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
