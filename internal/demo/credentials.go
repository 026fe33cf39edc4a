package demo

import (
	"net/http"
	"time"
)

// signInTTL is how long a demo sign-in lasts, whichever credential backs it.
const signInTTL = time.Hour

// credentials is how the demo app turns a signed-in user into the value of
// its sign-in cookie and back. Two kinds exist because vaultgate has two ways
// of reading a browser's identity: a JWT it verifies itself (jwt mode), and
// an opaque session only the app can resolve (forward mode).
type credentials interface {
	// issue returns the cookie value for a new sign-in of u.
	issue(u User) (value string, err error)
	// resolve returns the user a cookie value stands for, or an error when
	// it is unknown, expired or forged.
	resolve(value string) (User, time.Time, error)
	// revoke ends the sign-in behind value, where the kind allows it.
	revoke(value string)
	// describe says, for the page, what the cookie holds and how vaultgate
	// learns from it who the user is.
	describe() string
	// authMode is the AUTH_MODE vaultgate runs with for this kind.
	authMode() string
}

// jwtCredentials puts an ES256 JWT from the demo issuer in the cookie;
// vaultgate verifies it through the issuer's JWKS.
type jwtCredentials struct{ iss *Issuer }

func (c jwtCredentials) issue(u User) (string, error) { return c.iss.Mint(u, signInTTL) }

func (c jwtCredentials) resolve(value string) (User, time.Time, error) { return c.iss.verify(value) }

// revoke does nothing: a JWT stays valid until it expires (signInTTL), which
// is the trade-off of stateless tokens. Clearing the cookie is what signs
// the browser out.
func (jwtCredentials) revoke(string) {}

func (jwtCredentials) describe() string {
	return "a signed JWT in an HttpOnly cookie, which vaultgate verifies against the demo issuer's JWKS"
}

func (jwtCredentials) authMode() string { return "jwt" }

// cookieValue returns the sign-in cookie's value, or "" without one.
func (a *App) cookieValue(r *http.Request) string {
	c, err := r.Cookie(a.cookieName)
	if err != nil {
		return ""
	}
	return c.Value
}
