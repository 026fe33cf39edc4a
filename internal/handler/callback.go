package handler

import "net/http"

// maxCallbackQuery bounds the OAuth callback's query; providers send a
// state, a code and perhaps an error description.
const maxCallbackQuery = 8 << 10

// handleCallback serves VAULT_CALLBACK_PATH: the OAuth provider sends the
// user's browser here, and it goes on to Apideck's own callback with the
// query byte for byte. Apideck checks state, so there is no authentication;
// code and state are secrets, so the query is never logged (the access
// line has the route only).
func handleCallback(d Deps, m *metrics) endpoint {
	return func(w http.ResponseWriter, r *http.Request) (outcome, error) {
		if err := checkIPLimit(r, m, &d); err != nil {
			return outcome{}, err
		}
		if len(r.URL.RawQuery) > maxCallbackQuery {
			return outcome{}, invalid("The query is longer than 8 KiB.", nil)
		}
		target := d.Connect.CallbackURL
		if r.URL.RawQuery != "" || r.URL.ForceQuery {
			target += "?" + r.URL.RawQuery
		}
		w.Header().Set("Location", target)
		w.WriteHeader(http.StatusFound)
		return outcome{}, nil
	}
}
