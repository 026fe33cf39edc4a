package demo

import (
	"bytes"
	"embed"
	"html/template"
	"net/http"
	"time"
)

//go:embed templates/*.html
var templateFS embed.FS

// pages holds one parsed template set per page, each the layout plus that
// page's "title" and "content" blocks.
type pages struct {
	home, connected, error *template.Template
}

// mustParsePages parses the embedded templates. They are fixed at build
// time and covered by tests, so a failure here is a programming error.
func mustParsePages() pages {
	parse := func(name string) *template.Template {
		return template.Must(template.ParseFS(templateFS, "templates/layout.html", "templates/integrations.html", "templates/"+name))
	}
	return pages{
		home:      parse("home.html"),
		connected: parse("connected.html"),
		error:     parse("error.html"),
	}
}

// homeData feeds home.html.
type homeData struct {
	SignedIn   bool
	User       User
	Expires    time.Time
	Colleagues []User // everyone in the signed-in user's organisation
	Orgs       []org  // for the sign-in form
	Stale      bool   // a cookie was sent but no longer verifies
	AuthNote   string // how vaultgate learns who the user is
	AuthMode   string // the AUTH_MODE that goes with it
	ReturnTo   string // where sign-in continues; empty: home
}

// connectedData feeds connected.html.
type connectedData struct{ SignedIn bool }

// errorData feeds error.html.
type errorData struct{ Title, Message string }

// handleHome shows the sign-in form, or who is signed in with the ways to
// connect integrations.
func (a *App) handleHome() http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		data := homeData{Orgs: byOrg(a.users), AuthNote: a.creds.describe(), AuthMode: a.creds.authMode()}
		if rt := returnTo(r.URL.Query().Get("return_to")); rt != "/" {
			data.ReturnTo = rt
		}
		if value := a.cookieValue(r); value != "" {
			u, exp, err := a.creds.resolve(value)
			switch {
			case err != nil:
				// Expired, or from an earlier run (another key, an emptied
				// session table): drop it so /connect does not keep
				// answering 401 for it.
				a.log.Debug().Err(err).Msg("demo cookie did not verify")
				a.clearCookie(w, r)
				data.Stale = true
			default:
				data.SignedIn, data.User, data.Expires = true, u, exp.UTC()
				for _, o := range data.Orgs {
					if o.ID == u.OrgID {
						data.Colleagues = o.Users
					}
				}
			}
		}
		a.render(w, http.StatusOK, a.pages.home, data)
	}
}

// handleConnected is the redirect_uri landing page Vault sends users back
// to. Coming back says nothing about what happened there (the user may have
// closed Vault without connecting anything), so the page reads the
// integrations list instead of claiming success.
func (a *App) handleConnected() http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var data connectedData
		if value := a.cookieValue(r); value != "" {
			_, _, err := a.creds.resolve(value)
			data.SignedIn = err == nil
		}
		a.render(w, http.StatusOK, a.pages.connected, data)
	}
}

// renderError writes the error page with status.
func (a *App) renderError(w http.ResponseWriter, status int, title, message string) {
	a.render(w, status, a.pages.error, errorData{Title: title, Message: message})
}

// render executes t into a buffer first, so a template failure becomes a
// clean 500 instead of half a page behind a 200.
func (a *App) render(w http.ResponseWriter, status int, t *template.Template, data any) {
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", data); err != nil {
		a.log.Error().Err(err).Msg("render demo page")
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = buf.WriteTo(w)
}
