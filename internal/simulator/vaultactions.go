package simulator

import (
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"time"
)

// maxFormBytes bounds a Connect/Disconnect form; it holds three short fields.
const maxFormBytes = 4 << 10

// integrationItem is one connector on the Vault page.
type integrationItem struct {
	ID            string // for element ids: <unified_api>-<service_id>
	UnifiedAPI    string
	ServiceID     string
	Name          string
	TagLine       string
	Icon          template.URL // a data: URL of our own, never user input
	State         string
	ConnectedAt   string // RFC 3339, UTC; empty when not connected
	Connected     bool
	CanDisconnect bool
}

// integrationItems lists the connectors the session offers (only the
// deep-linked one on a deep link) in the consumer's state.
func (s *Simulator) integrationItems(c Claims, only *connector) []integrationItem {
	links := s.store.links(consumerKey{s.appID, c.ConsumerID})
	var out []integrationItem
	for _, k := range Connectors() {
		if !offered(c, only, k) {
			continue
		}
		it := integrationItem{
			ID: k.UnifiedAPI + "-" + k.ServiceID, UnifiedAPI: k.UnifiedAPI, ServiceID: k.ServiceID,
			Name: k.Name, TagLine: k.TagLine, Icon: template.URL(k.Icon()), State: "available",
			CanDisconnect: canDisconnect(c),
		}
		if l, ok := links[k.ID()]; ok {
			it.State, it.Connected = "callable", true
			it.ConnectedAt = l.created.UTC().Format(time.RFC3339)
		}
		out = append(out, it)
	}
	return out
}

// offered reports whether the session shows connector k.
func offered(c Claims, only *connector, k Connector) bool {
	if only != nil && (only.UnifiedAPI != k.UnifiedAPI || only.ServiceID != k.ServiceID) {
		return false
	}
	return slices.Contains(c.Settings.UnifiedAPIs, k.UnifiedAPI)
}

// canDisconnect applies the session's allow_actions (omitted = all).
func canDisconnect(c Claims) bool {
	a := c.Settings.AllowActions
	return a == nil || slices.Contains(a, "disconnect") || slices.Contains(a, "delete")
}

// handleSessionAction serves the forms of GET /session/{token}.
func (s *Simulator) handleSessionAction(w http.ResponseWriter, r *http.Request) {
	token := r.PathValue("token")
	s.act(w, r, token, nil, "./"+url.PathEscape(token))
}

// handleIntegrationAction serves the form of a deep link.
func (s *Simulator) handleIntegrationAction(w http.ResponseWriter, r *http.Request) {
	only := &connector{UnifiedAPI: r.PathValue("unified_api"), ServiceID: r.PathValue("service_id")}
	back := "./" + url.PathEscape(only.ServiceID) + "?" + r.URL.RawQuery
	s.act(w, r, r.URL.Query().Get("jwt"), only, back)
}

// act connects or disconnects one connector for the session's consumer,
// then sends the browser back to the page it came from (303, relative, so
// the simulator may be mounted under any path).
func (s *Simulator) act(w http.ResponseWriter, r *http.Request, token string, only *connector, back string) {
	// The token in the URL is what a forger lacks; a browser also says
	// when a form was posted from another site.
	if site := r.Header.Get("Sec-Fetch-Site"); site != "" && site != "same-origin" && site != "none" {
		s.renderPage(w, http.StatusForbidden, "error.html", errorPage{ID: "action-refused", Message: "Cross-site form refused"})
		return
	}
	claims, err := s.VerifyToken(token)
	if err != nil {
		s.renderPage(w, http.StatusUnauthorized, "error.html", errorPage{ID: "session-invalid", Message: invalidSessionText})
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		s.renderPage(w, http.StatusBadRequest, "error.html", errorPage{ID: "bad-form", Message: "The form could not be read"})
		return
	}
	f := r.PostForm
	k, ok := lookupConnector(f.Get("unified_api"), f.Get("service_id"))
	if !ok || !offered(claims, only, k) {
		s.renderPage(w, http.StatusNotFound, "error.html", errorPage{ID: "integration-unavailable", Message: unavailableText})
		return
	}
	switch f.Get("action") {
	case "connect":
		err = s.Connect(claims.ConsumerID, k.UnifiedAPI, k.ServiceID)
	case "disconnect":
		if !canDisconnect(claims) {
			s.renderPage(w, http.StatusForbidden, "error.html", errorPage{ID: "action-refused", Message: "This Vault session does not allow disconnecting"})
			return
		}
		// Already gone (another tab, the API) is the outcome the user wanted.
		if err = s.Disconnect(claims.ConsumerID, k.UnifiedAPI, k.ServiceID); errors.Is(err, ErrNotConnected) {
			err = nil
		}
	default:
		s.renderPage(w, http.StatusBadRequest, "error.html", errorPage{ID: "bad-form", Message: "Unknown action"})
		return
	}
	if err != nil {
		internalError().write(w)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
	w.Header().Set("Location", back)
	w.WriteHeader(http.StatusSeeOther)
}
