package handler

import (
	"cmp"
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/rs/zerolog"
	"golang.org/x/sync/singleflight"

	"github.com/vaultgate/vaultgate/internal/state"
	"github.com/vaultgate/vaultgate/internal/upstream"
)

// Connections reads and deletes a consumer's connections at Apideck.
// Errors are *upstream.Error; the Result describes the exchange anyway.
type Connections interface {
	ListConnections(ctx context.Context, consumerID, api string) ([]upstream.Connection, upstream.Result, error)
	GetConnection(ctx context.Context, consumerID, unifiedAPI, serviceID string) (upstream.Connection, upstream.Result, error)
	DeleteConnection(ctx context.Context, consumerID, unifiedAPI, serviceID string) (upstream.Result, error)
}

// Route patterns of the integrations page (see README, Integrations page).
const (
	routeConnections = "/connections"
	routeConnection  = "/connections/{unified_api}/{service_id}"
)

// actionDelete is the VAULT_ALLOW_ACTIONS value that allows disconnecting.
const actionDelete = "delete"

// connectionView is all a browser sees of a connection, members in the
// contract's order; empty ones were absent upstream.
type connectionView struct {
	ID            string `json:"id,omitempty"`
	UnifiedAPI    string `json:"unified_api"`
	ServiceID     string `json:"service_id"`
	Name          string `json:"name,omitempty"`
	TagLine       string `json:"tag_line,omitempty"`
	Website       string `json:"website,omitempty"`
	Icon          string `json:"icon,omitempty"`
	Logo          string `json:"logo,omitempty"`
	AuthType      string `json:"auth_type,omitempty"`
	State         string `json:"state,omitempty"`
	Health        string `json:"health,omitempty"`
	Enabled       *bool  `json:"enabled,omitempty"`
	CreatedAt     string `json:"created_at,omitempty"`
	UpdatedAt     string `json:"updated_at,omitempty"`
	ConnectURL    string `json:"connect_url"`
	CanDisconnect bool   `json:"can_disconnect"`
}

// connectionsResponse is the answer of GET /connections.
type connectionsResponse struct {
	ConsumerID  string           `json:"consumer_id"`
	Connections []connectionView `json:"connections"`
}

// connectionRoutes serve the integrations page's routes.
type connectionRoutes struct {
	cfg      ConnectConfig
	upstream Connections
	g        *gate
	flight   singleflight.Group // identical GETs in flight share one upstream call
}

// list serves GET /connections.
func (c *connectionRoutes) list(w http.ResponseWriter, r *http.Request) (outcome, error) {
	var out outcome
	_, consumer, err := c.g.pass(r, &out, checks{prefetch: true, userLimit: true})
	if err != nil {
		return out, err
	}
	api, err := c.apiFilter(r.URL.RawQuery)
	if err != nil {
		return out, err
	}
	list, res, err := share(r.Context(), &c.flight, []string{"list", consumer.ID, api},
		func(ctx context.Context) ([]upstream.Connection, upstream.Result, error) {
			return c.upstream.ListConnections(ctx, consumer.ID, api)
		})
	out.upstreamStatus, out.upstreamDuration = res.Status, res.Duration
	if err != nil {
		return out, err
	}
	if res.Dropped > 0 {
		zerolog.Ctx(r.Context()).Warn().Int("dropped", res.Dropped).Msg("connections Apideck sent in an unreadable shape were left out")
	}
	views := make([]connectionView, 0, len(list))
	for _, conn := range list {
		// The filter is applied here too: the page must not depend on
		// Apideck honouring api=.
		if c.shown(conn) && (api == "" || conn.UnifiedAPI == api) {
			views = append(views, c.view(conn))
		}
	}
	slices.SortStableFunc(views, func(a, b connectionView) int {
		return cmp.Or(cmp.Compare(a.UnifiedAPI, b.UnifiedAPI), cmp.Compare(a.Name, b.Name), cmp.Compare(a.ServiceID, b.ServiceID))
	})
	return out, writeJSON(w, http.StatusOK, contentTypeJSON, connectionsResponse{ConsumerID: consumer.ID, Connections: views})
}

// get serves GET /connections/{unified_api}/{service_id}.
func (c *connectionRoutes) get(w http.ResponseWriter, r *http.Request) (outcome, error) {
	var out outcome
	_, consumer, err := c.g.pass(r, &out, checks{prefetch: true, userLimit: true})
	if err != nil {
		return out, err
	}
	api, service, err := c.target(r)
	if err != nil {
		return out, err
	}
	conn, res, err := share(r.Context(), &c.flight, []string{"get", consumer.ID, api, service},
		func(ctx context.Context) (upstream.Connection, upstream.Result, error) {
			return c.upstream.GetConnection(ctx, consumer.ID, api, service)
		})
	out.upstreamStatus, out.upstreamDuration = res.Status, res.Duration
	if err != nil {
		return out, notFound(err)
	}
	if !c.shown(conn) {
		return out, &refusal{code: codeNotFound, detail: detailNoConnection}
	}
	return out, writeJSON(w, http.StatusOK, contentTypeJSON, c.view(conn))
}

// remove serves DELETE /connections/{unified_api}/{service_id}.
func (c *connectionRoutes) remove(w http.ResponseWriter, r *http.Request) (outcome, error) {
	var out outcome
	_, consumer, err := c.g.pass(r, &out, checks{userLimit: true})
	if err != nil {
		return out, err
	}
	if !c.canDisconnect() {
		return out, &refusal{code: codeActionNotAllowed}
	}
	api, service, err := c.target(r)
	if err != nil {
		return out, err
	}
	res, err := c.upstream.DeleteConnection(r.Context(), consumer.ID, api, service)
	out.upstreamStatus, out.upstreamDuration = res.Status, res.Duration
	if err != nil {
		return out, notFound(err)
	}
	w.WriteHeader(http.StatusNoContent)
	return out, nil
}

const detailNoConnection = "There is no such connection."

// notFound turns Apideck's "no such connection" into ours.
func notFound(err error) error {
	if ue, ok := errors.AsType[*upstream.Error](err); ok && ue.Kind == upstream.KindNotFound {
		return &refusal{code: codeNotFound, detail: detailNoConnection, cause: err}
	}
	return err
}

// offered is the unified APIs the page may show: VAULT_UNIFIED_APIS, or
// every one Apideck documents when that is empty.
func (c *connectionRoutes) offered() []string {
	if len(c.cfg.UnifiedAPIs) > 0 {
		return c.cfg.UnifiedAPIs
	}
	return upstream.UnifiedAPIs
}

// apiFilter reads the optional unified_api query parameter: one id among
// the offered ones.
func (c *connectionRoutes) apiFilter(rawQuery string) (string, error) {
	q, err := url.ParseQuery(rawQuery)
	if err != nil {
		return "", invalid("The query string is malformed.", err)
	}
	vs, ok := q["unified_api"]
	switch {
	case !ok:
		return "", nil
	case len(vs) > 1:
		return "", invalid("unified_api may appear only once in the query.", nil)
	case !slices.Contains(c.offered(), vs[0]):
		return "", &refusal{code: codeInvalidUnifiedAPIs, detail: "unified_api must be one of the unified APIs this service offers."}
	}
	return vs[0], nil
}

// target reads and checks the connection a route names. One outside
// VAULT_UNIFIED_APIS is not found: the page never shows it, so it cannot
// be read or deleted here either.
func (c *connectionRoutes) target(r *http.Request) (api, service string, err error) {
	api, service = chi.URLParam(r, "unified_api"), chi.URLParam(r, "service_id")
	if !slices.Contains(upstream.UnifiedAPIs, api) {
		return "", "", invalid("unified_api must be one of Apideck's unified API ids.", nil)
	}
	if !validServiceID(service) {
		return "", "", invalid("service_id must be 1 to 64 characters of a-z, 0-9 and '-'.", nil)
	}
	if !slices.Contains(c.offered(), api) {
		return "", "", &refusal{code: codeNotFound, detail: detailNoConnection}
	}
	return api, service, nil
}

// shown reports whether the page shows conn: its unified API is offered and
// its connector is one the routes can name.
func (c *connectionRoutes) shown(conn upstream.Connection) bool {
	return slices.Contains(c.offered(), conn.UnifiedAPI) && validServiceID(conn.ServiceID)
}

// canDisconnect reports whether DELETE is allowed: VAULT_ALLOW_ACTIONS
// unset, or naming delete.
func (c *connectionRoutes) canDisconnect() bool {
	actions := c.cfg.Settings.AllowActions
	return actions == nil || slices.Contains(actions, actionDelete)
}

// view is what the browser sees of conn, which shown accepted: the API and
// connector are then safe in a query unescaped.
func (c *connectionRoutes) view(conn upstream.Connection) connectionView {
	return connectionView{
		ID: conn.ID, UnifiedAPI: conn.UnifiedAPI, ServiceID: conn.ServiceID, Name: conn.Name,
		TagLine: conn.TagLine, Website: conn.Website, Icon: conn.Icon, Logo: conn.Logo,
		AuthType: conn.AuthType, State: conn.State, Health: conn.Health, Enabled: conn.Enabled,
		CreatedAt:     rfc3339(conn.CreatedAt.Time),
		UpdatedAt:     rfc3339(conn.UpdatedAt.Time),
		ConnectURL:    "/connect?" + optUnifiedAPIs + "=" + conn.UnifiedAPI + "&" + optServiceID + "=" + conn.ServiceID,
		CanDisconnect: c.canDisconnect(),
	}
}

// rfc3339 writes t in UTC with milliseconds when it has them; "" for zero.
func rfc3339(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02T15:04:05.999Z07:00")
}

// share runs fn once for every identical call in flight (key's parts
// never hold a NUL).
func share[T any](ctx context.Context, g *singleflight.Group, key []string, fn func(context.Context) (T, upstream.Result, error)) (T, upstream.Result, error) {
	type result struct {
		v   T
		res upstream.Result
	}
	r, _, err := state.Coalesce(ctx, g, strings.Join(key, "\x00"), func(ctx context.Context) (result, error) {
		v, res, err := fn(ctx)
		return result{v, res}, err
	})
	return r.v, r.res, err
}
