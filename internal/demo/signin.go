package demo

import (
	"net/http"
)

// maxFormBytes bounds the sign-in form; it holds one short user id.
const maxFormBytes = 4 << 10

// handleSignIn mints a token for the chosen demo user and stores it in the
// cookie that vaultgate's JWT verifier reads, then goes back home.
func (a *App) handleSignIn() http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
		if err := r.ParseForm(); err != nil {
			a.renderError(w, http.StatusBadRequest, "Bad sign-in request", "The sign-in form could not be read.")
			return
		}
		u, ok := findUser(a.users, r.PostForm.Get("user"))
		if !ok {
			a.renderError(w, http.StatusBadRequest, "Unknown demo user", "Pick one of the users listed on the home page.")
			return
		}
		tok, err := a.iss.Mint(u, tokenTTL)
		if err != nil {
			a.log.Error().Err(err).Msg("mint demo token")
			a.renderError(w, http.StatusInternalServerError, "Sign-in failed", "The demo could not sign you in.")
			return
		}
		http.SetCookie(w, a.cookie(r, tok, int(tokenTTL.Seconds())))
		http.Redirect(w, r, "/", http.StatusSeeOther)
	}
}

// handleSignOut clears the cookie and goes back home.
func (a *App) handleSignOut() http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		a.clearCookie(w, r)
		http.Redirect(w, r, "/", http.StatusSeeOther)
	}
}

// clearCookie tells the browser to drop the sign-in cookie.
func (a *App) clearCookie(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, a.cookie(r, "", -1))
}

// cookie builds the sign-in cookie. HttpOnly keeps the JWT away from
// scripts; SameSite=Lax keeps other sites' subrequests from carrying it;
// Secure only when the request came over TLS, because on plain HTTP (the
// demo's default) some browsers would not store a Secure cookie at all.
func (a *App) cookie(r *http.Request, value string, maxAge int) *http.Cookie {
	return &http.Cookie{
		Name:     a.cookieName,
		Value:    value,
		Path:     "/",
		MaxAge:   maxAge,
		HttpOnly: true,
		Secure:   r.TLS != nil,
		SameSite: http.SameSiteLaxMode,
	}
}
