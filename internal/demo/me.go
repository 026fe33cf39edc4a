package demo

import (
	"encoding/json"
	"net/http"
)

// meClaims is the "who am I" answer. Its names match the demo JWT's claims,
// so the same vaultgate mapping (CONSUMER_ID_CLAIM=org.id, metadata from
// name, email and org_name) works in both authentication modes.
type meClaims struct {
	Sub     string   `json:"sub"`
	Name    string   `json:"name"`
	Email   string   `json:"email"`
	Org     orgClaim `json:"org"`
	OrgName string   `json:"org_name"`
}

// Me is the app's "who am I" endpoint, what vaultgate's forward mode calls
// (AUTH_FORWARD_URL) with the browser's Cookie header: 200 with the signed-in
// user's claims as a JSON object, or 401 when the cookie is missing, unknown
// or expired. Real apps have such an endpoint already (GET /api/me).
func (a *App) Me() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		// Who someone is must never come from a cache.
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		value := a.cookieValue(r)
		if value == "" {
			writeMeError(w, http.StatusUnauthorized)
			return
		}
		u, _, err := a.creds.resolve(value)
		if err != nil {
			a.log.Debug().Err(err).Msg("demo who-am-i: sign-in cookie did not resolve")
			writeMeError(w, http.StatusUnauthorized)
			return
		}
		body, err := json.Marshal(meClaims{
			Sub: u.ID, Name: u.Name, Email: u.Email,
			Org: orgClaim{ID: u.OrgID, Name: u.OrgName}, OrgName: u.OrgName,
		})
		if err != nil {
			a.log.Error().Err(err).Msg("demo who-am-i: encode claims")
			writeMeError(w, http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	})
}

// writeMeError answers with a small JSON error and no detail: the caller is
// vaultgate, which only looks at the status.
func writeMeError(w http.ResponseWriter, status int) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(`{"error":"` + http.StatusText(status) + `"}`))
}
