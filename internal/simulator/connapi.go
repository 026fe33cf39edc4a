package simulator

import (
	"errors"
	"net/http"
	"slices"
	"strings"
)

const (
	// maxCallbacks bounds the recorded callback queries (the oldest go first).
	maxCallbacks = 100
	// maxCallbackQuery bounds one recorded query; OAuth callbacks are far smaller.
	maxCallbackQuery = 16 << 10
)

// listBody is Apideck's envelope around a list or one object.
type listBody struct {
	StatusCode int    `json:"status_code"`
	Status     string `json:"status"`
	Data       any    `json:"data"`
}

// handleConnections serves GET /vault/connections: every connector of the
// catalogue in the consumer's state, optionally scoped with api=<unified
// api> and configured=true|false (whether the consumer has connected it).
func (s *Simulator) handleConnections(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		w.Header().Set("Allow", http.MethodGet)
		writeAPIError(w, &apiError{status: http.StatusMethodNotAllowed, detail: "Use GET"})
		return
	}
	body, answered := s.intercept(w, r, RouteListConnections)
	if answered {
		return
	}
	consumer, e := s.checkConsumer(r.Header)
	if e != nil {
		writeAPIError(w, e)
		return
	}
	q := r.URL.Query()
	api, configured := q.Get("api"), q.Get("configured")
	if api != "" && !slices.Contains(unifiedAPIs(), api) {
		writeAPIError(w, invalid("api must be one of: %s", strings.Join(unifiedAPIs(), ", ")))
		return
	}
	if configured != "" && configured != "true" && configured != "false" {
		writeAPIError(w, invalid("configured must be true or false"))
		return
	}
	links := s.store.links(consumerKey{s.appID, consumer})
	data := []any{}
	for _, c := range Connectors() {
		l, ok := links[c.ID()]
		if (api != "" && c.UnifiedAPI != api) || (configured == "true" && !ok) || (configured == "false" && ok) {
			continue
		}
		data = append(data, s.view(c, l, ok))
	}
	body.alter(jsonResponse(http.StatusOK, listBody{StatusCode: http.StatusOK, Status: "OK", Data: data})).write(w)
}

// handleConnection serves GET and DELETE
// /vault/connections/{unified_api}/{service_id}.
func (s *Simulator) handleConnection(w http.ResponseWriter, r *http.Request) {
	route := RouteGetConnection
	switch r.Method {
	case http.MethodGet:
	case http.MethodDelete:
		route = RouteDeleteConnection
	default:
		w.Header().Set("Allow", "GET, DELETE")
		writeAPIError(w, &apiError{status: http.StatusMethodNotAllowed, detail: "Use GET or DELETE"})
		return
	}
	body, answered := s.intercept(w, r, route)
	if answered {
		return
	}
	consumer, e := s.checkConsumer(r.Header)
	if e != nil {
		writeAPIError(w, e)
		return
	}
	c, ok := lookupConnector(r.PathValue("unified_api"), r.PathValue("service_id"))
	if !ok {
		writeAPIError(w, &apiError{status: http.StatusNotFound, detail: "Unknown connection"})
		return
	}
	if route == RouteDeleteConnection {
		switch err := s.Disconnect(consumer, c.UnifiedAPI, c.ServiceID); {
		case errors.Is(err, ErrNotConnected):
			writeAPIError(w, &apiError{status: http.StatusNotFound, detail: "No connection for this consumer"})
		case err != nil:
			internalError().write(w)
		default:
			w.WriteHeader(http.StatusNoContent)
		}
		return
	}
	l, connected := s.store.links(consumerKey{s.appID, consumer})[c.ID()]
	body.alter(jsonResponse(http.StatusOK, listBody{StatusCode: http.StatusOK, Status: "OK", Data: s.view(c, l, connected)})).write(w)
}

// view is a connection as the API shows it: callable when connected.
func (s *Simulator) view(c Connector, l link, connected bool) map[string]any {
	if !connected {
		return s.connectionView(c, nil, "")
	}
	return s.connectionView(c, &l, "callable")
}

// checkConsumer checks credentials and the consumer header, as for sessions.
func (s *Simulator) checkConsumer(h http.Header) (string, *apiError) {
	if e := s.checkCredentials(h); e != nil {
		return "", e
	}
	consumer := h.Get("X-Apideck-Consumer-Id")
	if strings.TrimSpace(consumer) == "" {
		return "", missingHeader("x-apideck-consumer-id")
	}
	return consumer, nil
}

// handleCallback serves GET /vault/callback, where an OAuth provider (or an
// app's white-label callback) sends the browser: it records the query byte
// for byte and shows the outcome.
func (s *Simulator) handleCallback(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		w.Header().Set("Allow", http.MethodGet)
		writeAPIError(w, &apiError{status: http.StatusMethodNotAllowed, detail: "Use GET"})
		return
	}
	if len(r.URL.RawQuery) > maxCallbackQuery {
		writeAPIError(w, invalid("Query too long"))
		return
	}
	s.mu.Lock()
	if len(s.callbacks) >= maxCallbacks {
		s.callbacks = slices.Delete(s.callbacks, 0, 1)
	}
	s.callbacks = append(s.callbacks, r.URL.RawQuery)
	s.mu.Unlock()
	q := r.URL.Query()
	page := errorPage{ID: "callback-received", Message: "Authorization received"}
	status := http.StatusOK
	switch {
	case q.Has("error"):
		page, status = errorPage{ID: "callback-error", Message: "Authorization failed: " + q.Get("error")}, http.StatusBadRequest
	case q.Get("code") == "" || q.Get("state") == "":
		page, status = errorPage{ID: "callback-invalid", Message: "Authorization callback without code and state"}, http.StatusBadRequest
	}
	s.renderPage(w, status, "callback.html", page)
}

// Callbacks returns the raw query strings GET /vault/callback received,
// oldest first (at most the last 100).
func (s *Simulator) Callbacks() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.callbacks)
}
