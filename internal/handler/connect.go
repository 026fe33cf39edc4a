package handler

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/vaultgate/vaultgate/internal/auth"
	"github.com/vaultgate/vaultgate/internal/state"
	"github.com/vaultgate/vaultgate/internal/upstream"
)

// Authenticator works out who a request comes from.
type Authenticator interface {
	// Authenticate returns the caller's identity, or an *auth.Error that
	// matches auth.ErrUnauthenticated or auth.ErrUnavailable.
	Authenticate(r *http.Request) (auth.Identity, error)
	// Ambient reports whether the request's credential is one a browser
	// attaches by itself (a cookie, forward mode, header mode), which makes
	// the request forgeable from another site.
	Ambient(r *http.Request) bool
}

// Sessions creates Vault sessions, possibly reusing or sharing one.
type Sessions interface {
	// Create returns a session for consumerID. Its errors are
	// *upstream.Error; the Result describes the upstream exchange either way.
	Create(ctx context.Context, subject, consumerID string, req upstream.SessionRequest) (upstream.Session, upstream.Result, error)
}

// Limiter decides whether one more request for key fits its budget. An
// error means its shared state failed; the handler then lets the request
// through.
type Limiter interface {
	Allow(ctx context.Context, key string) (state.Decision, error)
}

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
	userLimit limit
	ipLimit   limit
	metrics   *metrics
	cfg       ConnectConfig
	narrower  narrower
	guard     crossSiteGuard
	problems  *problems
}

// handleConnect authenticates the caller, maps it to a consumer, creates a
// Vault session and sends the browser there (302) or answers JSON.
func handleConnect(d Deps, m *metrics, p *problems) handlerFunc {
	h := &connectHandler{
		authn:     d.Auth,
		sessions:  d.Sessions,
		userLimit: newLimit(d.UserLimit, scopeUser, m),
		ipLimit:   newLimit(d.IPLimit, scopeIP, m),
		metrics:   m,
		cfg:       d.Connect,
		narrower:  newNarrower(d.Connect),
		guard:     crossSiteGuard{allowed: setOf(d.Connect.CORSOrigins)},
		problems:  p,
	}
	return h.serve
}

func (h *connectHandler) serve(w http.ResponseWriter, r *http.Request) outcome {
	resp, out, err := h.connect(w, r)
	switch {
	case err != nil:
	case r.Method == http.MethodGet && !prefersJSON(acceptHeader(r)):
		w.Header().Set("Location", resp.SessionURI)
		w.WriteHeader(http.StatusFound)
	default:
		err = writeJSON(w, http.StatusOK, contentTypeJSON, resp)
	}
	if err != nil {
		out.code = h.problems.write(w, r, err)
	}
	return out
}

// connect runs the checks in their contract order: the cheap refusals
// that need no identity first (so floods of bad tokens cost little), then
// authentication, the user's own limit, the consumer, the options and
// finally the one upstream call. out holds what is known so far, on
// failure too.
func (h *connectHandler) connect(w http.ResponseWriter, r *http.Request) (resp connectResponse, out outcome, err error) {
	ctx := r.Context()
	if h.ipLimit.limiter != nil { // the client IP is worked out only when it is used
		if err := h.ipLimit.check(ctx, clientIP(r, h.cfg.TrustedProxyHops)); err != nil {
			return resp, out, err
		}
	}
	if err := checkPrefetch(r); err != nil {
		return resp, out, err
	}
	if h.authn.Ambient(r) {
		if err := h.guard.check(r); err != nil {
			return resp, out, err
		}
	}
	id, err := h.authn.Authenticate(r)
	if err != nil {
		h.metrics.authFailures.WithLabelValues(authReason(err)).Inc()
		return resp, out, err
	}
	if err := h.userLimit.check(ctx, id.Subject); err != nil {
		return resp, out, err
	}
	c, err := h.cfg.Mapping.Map(id.Claims)
	if err != nil {
		if errors.Is(err, auth.ErrNoConsumer) {
			h.metrics.authFailures.WithLabelValues(reasonNoConsumer).Inc()
		}
		return resp, out, err
	}
	out.consumerID = c.ID
	if c.Warning != "" {
		zerolog.Ctx(ctx).Warn().Str("consumer_id", c.ID).Msg(c.Warning)
	}
	opts, err := h.options(w, r)
	if err != nil {
		return resp, out, err
	}
	sess, res, err := h.sessions.Create(ctx, id.Subject, c.ID, sessionRequest(h.cfg, c, opts))
	out.upstreamStatus, out.upstreamDuration = res.Status, res.Duration
	if err != nil {
		return resp, out, err
	}
	return h.response(sess, c.ID, opts), out, nil
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
	created := s.CreatedAt
	if created.IsZero() {
		created = time.Now()
	}
	return connectResponse{
		SessionURI:   uri,
		SessionToken: s.Token,
		ConsumerID:   consumerID,
		ExpiresAt:    created.Add(h.cfg.SessionLength).UTC().Truncate(time.Second).Format(time.RFC3339),
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

// acceptHeader joins every Accept header of r, as RFC 9110 allows a list to
// be split across several.
func acceptHeader(r *http.Request) string {
	return strings.Join(r.Header.Values("Accept"), ",")
}

// isNavigation reports whether r is a browser navigation: a GET whose
// Accept names text/html with q > 0 and does not prefer JSON. A missing
// Accept is not one, so scripts keep getting a 401 they can act on.
func isNavigation(r *http.Request) bool {
	accept := acceptHeader(r)
	return r.Method == http.MethodGet && parseAccept(accept)["text/html"] > 0 && !prefersJSON(accept)
}

// prefersJSON reports whether JSON wins: application/json must be named
// explicitly with q > 0 and at least the q of text/html, where that comes
// from text/html if named, else text/*, else */*, else 0. A browser
// navigation ("text/html,…,*/*;q=0.8") and a missing Accept therefore get
// the redirect; axios's "application/json, text/plain, */*" gets JSON.
func prefersJSON(accept string) bool {
	ranges := parseAccept(accept)
	qJSON, named := ranges["application/json"]
	if !named || qJSON <= 0 {
		return false
	}
	qHTML := 0.0
	for _, typ := range []string{"text/html", "text/*", "*/*"} {
		if q, ok := ranges[typ]; ok {
			qHTML = q
			break
		}
	}
	return qJSON >= qHTML
}

// parseAccept maps each media range of an Accept header (lower-cased
// "type/subtype") to the highest quality it is given. Elements with a
// malformed q-value are dropped rather than guessed at.
func parseAccept(accept string) map[string]float64 {
	ranges := map[string]float64{}
	for elem := range strings.SplitSeq(accept, ",") {
		typ, params, _ := strings.Cut(elem, ";")
		typ = strings.ToLower(strings.TrimSpace(typ))
		if typ == "" {
			continue
		}
		if q, ok := quality(params); ok {
			if prev, seen := ranges[typ]; !seen || q > prev {
				ranges[typ] = q
			}
		}
	}
	return ranges
}

// quality finds the q parameter among params ("a=b;q=0.5"); 1 when absent.
func quality(params string) (float64, bool) {
	for p := range strings.SplitSeq(params, ";") {
		name, value, _ := strings.Cut(p, "=")
		if !strings.EqualFold(strings.TrimSpace(name), "q") {
			continue
		}
		q, err := strconv.ParseFloat(strings.TrimSpace(value), 64)
		if err != nil || q < 0 || q > 1 {
			return 0, false
		}
		return q, true
	}
	return 1, true
}
