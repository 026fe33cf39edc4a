package handler

import (
	"net/http"

	"github.com/rs/cors"
)

// corsMaxAge lets browsers cache a preflight for ten minutes.
const corsMaxAge = 600

// corsMiddleware answers CORS for exactly the configured origins. It matches
// origins by set lookup rather than rs/cors's own list, which would treat
// "*" and "https://*.example.com" as wildcards: with credentials allowed, a
// wildcard would hand every matching site the user's session.
func corsMiddleware(origins []string) func(http.Handler) http.Handler {
	allowed := originSet(origins)
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

// originSet indexes origins for exact lookup.
func originSet(origins []string) map[string]struct{} {
	set := make(map[string]struct{}, len(origins))
	for _, o := range origins {
		set[o] = struct{}{}
	}
	return set
}

// handlePreflight ends a CORS preflight for a route; the CORS middleware has
// already added the Access-Control-* headers when the origin is allowed.
func handlePreflight() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusNoContent)
	})
}
