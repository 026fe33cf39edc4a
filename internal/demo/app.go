package demo

import (
	"net/http"

	"github.com/go-chi/chi/v5"
	"github.com/rs/zerolog"
)

// CookieName is the cookie demo mode uses for the signed-in user's JWT; the
// JWT verifier must be configured with the same name (AUTH_COOKIE_NAME).
const CookieName = "vaultgate_demo"

// SessionCookieName is the cookie NewSessionApp uses for its opaque session
// id when none is given.
const SessionCookieName = "demo_app_session"

// contentSecurityPolicy keeps the pages to their own origin: the only scripts
// are the embedded ones, fetch and EventSource reach only this origin,
// connector icons may be data: images, nothing may frame the pages, and
// forms post only here.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"frame-ancestors 'none'; base-uri 'none'; form-action 'self'"

// App serves the demo pages: sign in as a demo user, then connect
// integrations through vaultgate's own /connect.
type App struct {
	creds      credentials
	cookieName string
	log        zerolog.Logger
	users      []User
	pages      pages
	csrf       *http.CrossOriginProtection
}

// NewApp builds the demo pages around iss, storing the signed-in user's token
// in the cookie cookieName (CookieName when empty). vaultgate reads that
// cookie itself in jwt mode.
func NewApp(iss *Issuer, cookieName string, log zerolog.Logger) *App {
	if cookieName == "" {
		cookieName = CookieName
	}
	return newApp(jwtCredentials{iss: iss}, cookieName, log)
}

// NewSessionApp builds the demo pages for vaultgate's forward mode: sign-in
// stores an opaque random session id in the cookie cookieName
// (SessionCookieName when empty), kept in memory, and Me resolves it for
// vaultgate.
func NewSessionApp(cookieName string, log zerolog.Logger) *App {
	if cookieName == "" {
		cookieName = SessionCookieName
	}
	return newApp(newSessionStore(signInTTL), cookieName, log)
}

func newApp(creds credentials, cookieName string, log zerolog.Logger) *App {
	a := &App{
		creds:      creds,
		cookieName: cookieName,
		log:        log,
		users:      Users(),
		pages:      mustParsePages(),
		csrf:       http.NewCrossOriginProtection(),
	}
	// Signing in or out from another site would let that site choose who the
	// visitor is here (login CSRF); refuse with a page instead of plain text.
	a.csrf.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a.renderError(w, http.StatusForbidden, "Cross-site request refused",
			"Signing in or out must start from this page, not from another site.")
	}))
	return a
}

// Routes mounts the demo pages on r: GET / (home, with the integrations
// list), POST /demo/signin, POST /demo/signout, GET /demo/connected (the
// redirect_uri landing page) and the embedded static files under
// /demo/static/.
func (a *App) Routes(r chi.Router) {
	r.Group(func(r chi.Router) {
		r.Use(securityHeaders)
		r.Get("/", a.handleHome())
		r.Get("/demo/connected", a.handleConnected())
		r.With(a.csrf.Handler).Post("/demo/signin", a.handleSignIn())
		r.With(a.csrf.Handler).Post("/demo/signout", a.handleSignOut())
		r.Get("/demo/static/app.js", serveStatic("app.js", "text/javascript; charset=utf-8"))
		r.Get("/demo/static/integrations.js", serveStatic("integrations.js", "text/javascript; charset=utf-8"))
		r.Get("/demo/static/style.css", serveStatic("style.css", "text/css; charset=utf-8"))
	})
}

// securityHeaders sets the headers every demo response carries. Pages show
// who is signed in, so nothing is cached.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Cache-Control", "no-store")
		next.ServeHTTP(w, r)
	})
}
