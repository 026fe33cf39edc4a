package handler

import (
	"errors"
	"net/http"
	"strings"

	"github.com/go-chi/chi/v5"
)

var (
	errNoRoute  = errors.New("no route")
	errNoMethod = errors.New("method not allowed")
)

func notFound(p problems) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p.write(w, r, &requestError{code: codeNotFound, status: http.StatusNotFound,
			detail: "There is nothing at this path.", err: errNoRoute})
	}
}

// methodNotAllowed answers 405 with an Allow header. chi passes a custom
// handler no method list, so it is worked out from the router itself,
// which also covers routes added later (demo pages).
func methodNotAllowed(mux *chi.Mux, p problems) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		path := r.URL.RawPath
		if path == "" {
			path = r.URL.Path
		}
		var allowed []string
		route := ""
		for _, m := range []string{http.MethodGet, http.MethodHead, http.MethodPost,
			http.MethodPut, http.MethodPatch, http.MethodDelete, http.MethodOptions} {
			if p := mux.Find(chi.NewRouteContext(), m, path); p != "" {
				allowed, route = append(allowed, m), p
			}
		}
		if len(allowed) == 0 {
			// chi also lands here for methods it does not know, on any path.
			notFound(p)(w, r)
			return
		}
		// chi leaves the pattern empty on a 405; label it with the route
		// the path belongs to.
		stateFrom(r.Context()).route = route
		w.Header().Set("Allow", strings.Join(allowed, ", "))
		p.write(w, r, &requestError{code: codeMethodNotAllowed, status: http.StatusMethodNotAllowed,
			detail: "This method is not allowed here.", err: errNoMethod})
	}
}
