package handler

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/vaultgate/vaultgate/internal/auth"
	"github.com/vaultgate/vaultgate/internal/metrics"
	"github.com/vaultgate/vaultgate/internal/upstream"
)

// defaultSessionLength is Apideck's session lifetime when none is configured.
const defaultSessionLength = time.Hour

// reasonNoConsumer labels auth failures where the identity maps to no consumer.
const reasonNoConsumer = "no_consumer"

// connectResponse is the JSON answer, members in the contract's order.
type connectResponse struct {
	SessionURI   string `json:"session_uri"`
	SessionToken string `json:"session_token"`
	ConsumerID   string `json:"consumer_id"`
	ExpiresAt    string `json:"expires_at"`
}

// connectHandler serves GET and POST /connect.
type connectHandler struct {
	authn     Authenticator
	sessions  Sessions
	userLimit Limiter
	ipLimit   Limiter
	metrics   *metrics.Metrics
	cfg       ConnectConfig
	narrower  narrower
	guard     crossSiteGuard
	problems  problems
}

// handleConnect authenticates the caller, maps it to a consumer, creates a
// Vault session and sends the browser there (302) or answers JSON.
func handleConnect(d Deps, p problems) http.Handler {
	return &connectHandler{
		authn:     d.Auth,
		sessions:  d.Sessions,
		userLimit: d.UserLimit,
		ipLimit:   d.IPLimit,
		metrics:   d.Metrics,
		cfg:       d.Connect,
		narrower:  newNarrower(d.Connect),
		guard:     crossSiteGuard{allowed: originSet(d.Connect.CORSOrigins)},
		problems:  p,
	}
}

func (h *connectHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	resp, err := h.connect(w, r)
	if err != nil {
		h.problems.write(w, r, err)
		return
	}
	if r.Method == http.MethodGet && !prefersJSON(acceptHeader(r)) {
		w.Header().Set("Location", resp.SessionURI)
		w.WriteHeader(http.StatusFound)
		return
	}
	writeBody(w, http.StatusOK, contentTypeJSON, resp.appendJSON(make([]byte, 0, resp.jsonSize())))
}

// connect runs the checks in their contract order: the cheap refusals
// that need no identity first (so floods of bad tokens cost little), then
// authentication, the user's own limit, the consumer, the options and
// finally the one upstream call.
func (h *connectHandler) connect(w http.ResponseWriter, r *http.Request) (connectResponse, error) {
	ctx := r.Context()
	st := stateFrom(ctx)
	if h.ipLimit != nil { // the client IP is worked out only when it is used
		if err := checkLimit(ctx, h.metrics, h.ipLimit, scopeIP, clientIP(r, h.cfg.TrustedProxyHops)); err != nil {
			return connectResponse{}, err
		}
	}
	if err := checkPrefetch(r); err != nil {
		return connectResponse{}, err
	}
	if h.authn.Ambient(r) {
		if err := h.guard.check(r); err != nil {
			return connectResponse{}, err
		}
	}
	id, err := h.authn.Authenticate(r)
	if err != nil {
		h.metrics.AuthFailures.WithLabelValues(authReason(err)).Inc()
		return connectResponse{}, err
	}
	if err := checkLimit(ctx, h.metrics, h.userLimit, scopeUser, id.Subject); err != nil {
		return connectResponse{}, err
	}
	c, err := h.cfg.Mapping.Map(id.Claims)
	if err != nil {
		if errors.Is(err, auth.ErrNoConsumer) {
			h.metrics.AuthFailures.WithLabelValues(reasonNoConsumer).Inc()
		}
		return connectResponse{}, err
	}
	st.consumerID = c.ID
	if c.Warning != "" {
		zerolog.Ctx(ctx).Warn().Str("consumer_id", c.ID).Msg(c.Warning)
	}
	opts, err := h.options(w, r)
	if err != nil {
		return connectResponse{}, err
	}
	sess, res, err := h.sessions.Create(ctx, id.Subject, c.ID, sessionRequest(h.cfg, c, opts))
	st.upstreamStatus, st.upstreamDuration = res.Status, res.Duration
	if err != nil {
		return connectResponse{}, err
	}
	return h.response(sess, c.ID, opts), nil
}

// options reads the query and, for POST, the body (whose fields win), and
// narrows them against the configuration.
func (h *connectHandler) options(w http.ResponseWriter, r *http.Request) (connectOptions, error) {
	req, err := parseQueryOptions(r.URL.RawQuery)
	if err != nil {
		return connectOptions{}, err
	}
	if r.Method == http.MethodPost {
		body, err := readBodyOptions(w, r)
		if err != nil {
			return connectOptions{}, err
		}
		req = req.override(body)
	}
	return h.narrower.narrow(req)
}

func (h *connectHandler) response(s upstream.Session, consumerID string, o connectOptions) connectResponse {
	uri := s.URI
	if o.serviceID != "" {
		uri = deepLink(h.cfg.VaultOrigin, o.deepLinkAPI, o.serviceID, s.Token)
	}
	length := h.cfg.SessionLength
	if length <= 0 {
		length = defaultSessionLength
	}
	created := s.CreatedAt
	if created.IsZero() {
		created = time.Now()
	}
	return connectResponse{
		SessionURI:   uri,
		SessionToken: s.Token,
		ConsumerID:   consumerID,
		ExpiresAt:    created.Add(length).UTC().Truncate(time.Second).Format(time.RFC3339),
	}
}

// deepLink is Vault's link straight to one connector. api comes from the
// offered list and serviceID is [a-z0-9-], so only the token needs escaping.
func deepLink(vaultOrigin, api, serviceID, token string) string {
	return strings.TrimSuffix(vaultOrigin, "/") + "/integrations/" + api + "/" + serviceID + "?jwt=" + url.QueryEscape(token)
}

// authReason is the auth failure's metric label.
func authReason(err error) string {
	if ae, ok := errors.AsType[*auth.Error](err); ok && ae.Reason != "" {
		return ae.Reason
	}
	if errors.Is(err, auth.ErrUnavailable) {
		return auth.ReasonUnavailable
	}
	return auth.ReasonInvalid
}
