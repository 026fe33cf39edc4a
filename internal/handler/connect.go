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
	// Ambient reports whether the credential is one the browser attaches
	// by itself (cookie, forward or header mode): forgeable cross-site.
	Ambient(r *http.Request) bool
}

// Sessions creates Vault sessions, possibly reusing or sharing one. Errors
// are *upstream.Error; the Result describes the upstream exchange anyway.
type Sessions interface {
	Create(ctx context.Context, subject, consumerID string, req upstream.SessionRequest) (upstream.Session, upstream.Result, error)
}

// Limiter decides whether one more request for key fits its budget. An
// error means its shared state failed.
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

// handleConnect serves GET and POST /connect: it lets the caller through
// the gate, creates a Vault session and sends the browser there (302) or
// answers JSON.
func handleConnect(d Deps, g *gate) endpoint {
	return func(w http.ResponseWriter, r *http.Request) (outcome, error) {
		var out outcome
		resp, err := connect(w, r, d, g, &out)
		switch {
		case err != nil:
		case r.Method == http.MethodGet && !prefersJSON(accepted(r)):
			w.Header().Set("Location", resp.SessionURI)
			w.WriteHeader(http.StatusFound)
		default:
			err = writeJSON(w, http.StatusOK, contentTypeJSON, resp)
		}
		return out, err
	}
}

// connect reads the caller's options once the gate let it through, then
// makes the one upstream call.
func connect(w http.ResponseWriter, r *http.Request, d Deps, g *gate, out *outcome) (connectResponse, error) {
	id, c, err := g.pass(r, out, checks{prefetch: true, userLimit: true})
	if err != nil {
		return connectResponse{}, err
	}
	cfg := d.Connect
	// The query's options, then for POST the JSON body's, which win.
	req, err := parseQueryOptions(r.URL.RawQuery)
	if err == nil && r.Method == http.MethodPost {
		err = readBodyOptions(w, r, &req)
	}
	if err != nil {
		return connectResponse{}, err
	}
	opts, err := narrow(cfg, req)
	if err != nil {
		return connectResponse{}, err
	}
	sess, res, err := d.Sessions.Create(r.Context(), id.Subject, c.ID, sessionRequest(cfg, c, opts))
	out.upstreamStatus, out.upstreamDuration = res.Status, res.Duration
	if err != nil {
		return connectResponse{}, err
	}
	return connectAnswer(cfg, sess, c.ID, opts), nil
}

// gate runs the checks every authenticated route shares, in the contract's
// order: the per-IP limit and the browser guard, which need no identity
// (so floods of bad tokens cost little), then authentication, the user's
// own limit and the consumer.
type gate struct {
	deps Deps
	m    *metrics
}

// checks are what a route asks of the gate beyond authentication.
type checks struct {
	prefetch  bool // refuse speculative loads: they must not mint sessions or read data
	userLimit bool // count against the per-user rate limit
}

// pass lets r through or says why not, reporting the consumer in out.
func (g *gate) pass(r *http.Request, out *outcome, c checks) (auth.Identity, auth.Consumer, error) {
	ctx, d := r.Context(), g.deps
	if err := checkIPLimit(r, g.m, &d); err != nil {
		return auth.Identity{}, auth.Consumer{}, err
	}
	if c.prefetch {
		if err := checkPrefetch(r); err != nil {
			return auth.Identity{}, auth.Consumer{}, err
		}
	}
	if d.Auth.Ambient(r) {
		if err := checkCrossSite(r, d.Connect.CORSOrigins); err != nil {
			return auth.Identity{}, auth.Consumer{}, err
		}
	}
	id, err := d.Auth.Authenticate(r)
	if err != nil {
		ae := authError(err)
		out.authReason = ae.Reason
		g.m.authFailures.WithLabelValues(ae.Label()).Inc()
		return auth.Identity{}, auth.Consumer{}, err
	}
	consumer, mapErr := d.Connect.Mapping.Map(id.Claims)
	if id.Subject == "" && mapErr == nil {
		// Forward auth whose app names no user: the consumer is all we
		// know, and unlike the cookie it cannot be varied to reset a budget.
		id.Subject = "consumer:" + consumer.ID
	}
	if c.userLimit && id.Subject != "" {
		if err := checkLimit(ctx, g.m, d.UserLimit, scopeUser, id.Subject); err != nil {
			return auth.Identity{}, auth.Consumer{}, err
		}
	}
	if mapErr != nil { // auth.ErrNoConsumer, Map's only error
		g.m.authFailures.WithLabelValues(reasonNoConsumer).Inc()
		return auth.Identity{}, auth.Consumer{}, mapErr
	}
	out.consumerID = consumer.ID
	if consumer.Warning != "" {
		zerolog.Ctx(ctx).Warn().Str("consumer_id", consumer.ID).Msg(consumer.Warning)
	}
	return id, consumer, nil
}

// connectAnswer describes the session; with a service_id its URI is Vault's
// link straight to that connector (the API comes from the offered list and
// serviceID is [a-z0-9-], so only the token needs escaping).
func connectAnswer(cfg ConnectConfig, s upstream.Session, consumerID string, o connectOptions) connectResponse {
	uri := s.URI
	if o.serviceID != "" {
		uri = strings.TrimSuffix(cfg.VaultOrigin, "/") + "/integrations/" + o.unifiedAPIs[0] + "/" + o.serviceID +
			"?jwt=" + url.QueryEscape(s.Token)
	}
	created := s.CreatedAt
	if created.IsZero() {
		created = time.Now()
	}
	return connectResponse{
		SessionURI:   uri,
		SessionToken: s.Token,
		ConsumerID:   consumerID,
		ExpiresAt:    created.Add(cfg.SessionLength).UTC().Truncate(time.Second).Format(time.RFC3339),
	}
}

// authError is an authentication failure as an *auth.Error, whatever the
// Authenticator returned.
func authError(err error) *auth.Error {
	if ae, ok := errors.AsType[*auth.Error](err); ok && ae.Reason != "" {
		return ae
	}
	if errors.Is(err, auth.ErrUnavailable) {
		return &auth.Error{Class: auth.ErrUnavailable, Reason: auth.ReasonUnavailable, Err: err}
	}
	return &auth.Error{Class: auth.ErrUnauthenticated, Reason: auth.ReasonInvalid, Err: err}
}

// isNavigation reports whether r is a browser navigation: a GET whose
// Accept names text/html with q > 0 and does not prefer JSON. A missing
// Accept is not one, so scripts keep getting a 401 they can act on.
func isNavigation(r *http.Request) bool {
	ranges := accepted(r)
	return r.Method == http.MethodGet && ranges["text/html"] > 0 && !prefersJSON(ranges)
}

// prefersJSON reports whether JSON wins: application/json named with q > 0
// and at least the q of text/html (else text/*, else */*, else 0). So a
// browser navigation ("text/html,…,*/*;q=0.8") and a missing Accept get the
// redirect; axios's "application/json, text/plain, */*" gets JSON.
func prefersJSON(ranges map[string]float64) bool {
	qJSON, named := ranges["application/json"]
	qHTML := 0.0
	for _, typ := range []string{"text/html", "text/*", "*/*"} {
		if q, ok := ranges[typ]; ok {
			qHTML = q
			break
		}
	}
	return named && qJSON > 0 && qJSON >= qHTML
}

// accepted maps each media range of r's Accept headers (which RFC 9110
// lets span several lines) to the highest q it is given, 1 when absent.
// Ranges are lower-cased; elements with a malformed q are dropped.
func accepted(r *http.Request) map[string]float64 {
	ranges := map[string]float64{}
	for elem := range strings.SplitSeq(strings.Join(r.Header.Values("Accept"), ","), ",") {
		typ, params, _ := strings.Cut(elem, ";")
		typ = strings.ToLower(strings.TrimSpace(typ))
		q, ok := 1.0, typ != ""
		for param := range strings.SplitSeq(params, ";") {
			if name, value, _ := strings.Cut(param, "="); strings.EqualFold(strings.TrimSpace(name), "q") {
				var err error
				q, err = strconv.ParseFloat(strings.TrimSpace(value), 64)
				ok = ok && err == nil && q >= 0 && q <= 1
				break
			}
		}
		if prev, seen := ranges[typ]; ok && (!seen || q > prev) {
			ranges[typ] = q
		}
	}
	return ranges
}
