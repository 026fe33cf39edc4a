package handler

import (
	"errors"
	"fmt"
	"net/http"
	"runtime/debug"

	"github.com/rs/zerolog"
)

// errPanic is what a recovered panic becomes for the client: a 500
// internal problem that says nothing about the panic.
var errPanic = errors.New("handler panicked")

// recoverPanics turns a panic further down into a logged stack and a 500
// problem. When the response had already started, it aborts the
// connection instead, so the client never takes a truncated answer for a
// complete one.
func recoverPanics(log zerolog.Logger, p problems) func(http.Handler) http.Handler {
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
