package demo

import (
	"net/http"
	"net/url"
	"strings"
)

const (
	// maxFormBytes bounds the sign-in form; it holds one short user id and
	// return_to.
	maxFormBytes = 4 << 10
	// maxReturnTo bounds return_to: one path and query of this site.
	maxReturnTo = 2 << 10
)

// handleSignIn signs the chosen demo user in (a JWT or an opaque session id,
// depending on the app's credentials), stores that in the sign-in cookie and
// goes where return_to says (vaultgate's login redirect sets it), else home.
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
		// A sign-in replaces the previous one rather than leaving it alive.
		if old := a.cookieValue(r); old != "" {
			a.creds.revoke(old)
		}
		value, err := a.creds.issue(u)
		if err != nil {
			a.log.Error().Err(err).Msg("demo sign-in")
			a.renderError(w, http.StatusInternalServerError, "Sign-in failed", "The demo could not sign you in.")
			return
		}
		http.SetCookie(w, a.cookie(r, value, int(signInTTL.Seconds())))
		http.Redirect(w, r, returnTo(r.PostForm.Get("return_to")), http.StatusSeeOther)
	}
}

// handleSignOut ends the sign-in, clears the cookie and goes back home.
func (a *App) handleSignOut() http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if value := a.cookieValue(r); value != "" {
			a.creds.revoke(value)
		}
		a.clearCookie(w, r)
		http.Redirect(w, r, "/", http.StatusSeeOther)
	}
}

// clearCookie tells the browser to drop the sign-in cookie.
func (a *App) clearCookie(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, a.cookie(r, "", -1))
}

// cookie builds the sign-in cookie. HttpOnly keeps the credential away from
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

// returnTo is where to go after sign-in: v when it is a path on this site,
// else "/". Anything a browser could read as another site is refused, since
// an open redirect would let any page send a freshly signed-in user
// anywhere: a scheme or host, "//host", and backslashes and control
// characters, which browsers turn into slashes or drop ("/\host",
// "/\t/host").
func returnTo(v string) string {
	if v == "" || len(v) > maxReturnTo || v[0] != '/' || strings.HasPrefix(v, "//") ||
		strings.ContainsFunc(v, func(r rune) bool { return r < ' ' || r == 0x7f || r == '\\' }) {
		return "/"
	}
	u, err := url.Parse(v)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" {
		return "/"
	}
	return v
}
