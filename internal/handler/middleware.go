package handler

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"runtime/debug"
	"strings"

	"github.com/rs/cors"
	"github.com/rs/zerolog"
)

const (
	headerRequestID = "X-Request-Id"
	maxRequestIDLen = 128
	// corsMaxAge lets browsers cache a preflight for ten minutes.
	corsMaxAge = 600
)

// errPanic is what a recovered panic becomes for the client: a 500
// internal problem that says nothing about the panic.
var errPanic = errors.New("handler panicked")

// recoverPanics turns a panic further down into a logged stack and a 500
// problem. When the response had already started, it aborts the
// connection instead, so the client never takes a truncated answer for a
// complete one.
func recoverPanics(log zerolog.Logger, p *problems) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			sw := &statusWriter{ResponseWriter: w}
			defer func() {
				v := recover()
				if v == nil {
					return
				}
				if v == http.ErrAbortHandler {
					panic(v)
				}
				// Path only: a query may carry tokens.
				log.Error().
					Str("request_id", w.Header().Get(headerRequestID)).
					Str("method", methodLabel(r.Method)).
					Str("path", r.URL.Path).
					Str("panic", fmt.Sprint(v)).
					Bytes("stack", debug.Stack()).
					Msg("panic while serving a request")
				if sw.wroteHeader {
					panic(http.ErrAbortHandler)
				}
				h := w.Header()
				for name := range h {
					if !keptOnReset(name) {
						h.Del(name)
					}
				}
				p.write(sw, r, errPanic)
			}()
			next.ServeHTTP(sw, r)
		})
	}
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

// requestID takes the caller's X-Request-Id when it is safe to echo and log
// (1–128 of [A-Za-z0-9._-]), otherwise makes one. It sets the id on the
// response, where problems read it, and puts a logger carrying it into the
// context.
func requestID(log zerolog.Logger) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			id := r.Header.Get(headerRequestID)
			if !validRequestID(id) {
				id = newRequestID()
			}
			w.Header().Set(headerRequestID, id)
			l := log.With().Str("request_id", id).Logger()
			next.ServeHTTP(w, r.WithContext(l.WithContext(r.Context())))
		})
	}
}

// validRequestID reports whether id may be echoed and logged as it is.
func validRequestID(id string) bool {
	return len(id) > 0 && len(id) <= maxRequestIDLen && !strings.ContainsFunc(id, func(c rune) bool {
		return !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '_' || c == '-')
	})
}

// newRequestID returns 16 random bytes in hex.
func newRequestID() string {
	var b [16]byte
	// crypto/rand.Read never returns an error (it crashes the program
	// instead when the system's source fails).
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

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

// corsMiddleware answers CORS for exactly the configured origins. It matches
// origins by set lookup rather than rs/cors's own list, which would treat
// "*" and "https://*.example.com" as wildcards: with credentials allowed, a
// wildcard would hand every matching site the user's session.
func corsMiddleware(origins []string) func(http.Handler) http.Handler {
	allowed := setOf(origins)
	c := cors.New(cors.Options{
		AllowOriginFunc: func(origin string) bool {
			_, ok := allowed[origin]
			return ok
		},
		AllowedMethods:   []string{http.MethodGet, http.MethodPost},
		AllowedHeaders:   []string{"Authorization", "Content-Type", headerRequestID},
		ExposedHeaders:   []string{headerRequestID},
		AllowCredentials: true,
		MaxAge:           corsMaxAge,
		// Preflights reach the router so they are logged under their route
		// and answered (or refused) by it.
		OptionsPassthrough: true,
	})
	return c.Handler
}

// setOf indexes values for exact lookup.
func setOf(values []string) map[string]struct{} {
	set := make(map[string]struct{}, len(values))
	for _, v := range values {
		set[v] = struct{}{}
	}
	return set
}

// statusWriter remembers the status a handler answered with.
type statusWriter struct {
	http.ResponseWriter
	status      int
	wroteHeader bool
}

func (w *statusWriter) WriteHeader(code int) {
	// 1xx responses are informational; the final status comes later.
	if !w.wroteHeader && code >= 200 {
		w.status, w.wroteHeader = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if !w.wroteHeader {
		w.status, w.wroteHeader = http.StatusOK, true
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Status is the status sent, or 200 when the handler wrote nothing (as
// net/http then answers).
func (w *statusWriter) Status() int {
	if !w.wroteHeader {
		return http.StatusOK
	}
	return w.status
}
