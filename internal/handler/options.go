package handler

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/netip"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/vaultgate/vaultgate/internal/auth"
	"github.com/vaultgate/vaultgate/internal/upstream"
)

// ConnectConfig is the server-side half of every session request (what
// /connect may offer, and what it sends when the request narrows nothing)
// and what the other public routes and error answers need.
type ConnectConfig struct {
	Mapping            auth.Mapping
	Redirects          *Allowlist        // VAULT_ALLOWED_REDIRECT_URIS; never nil
	DefaultRedirectURI string            // VAULT_REDIRECT_URI; may be empty
	UnifiedAPIs        []string          // VAULT_UNIFIED_APIS; empty offers all
	Settings           upstream.Settings // base settings (UnifiedAPIs left empty here)
	Theme              *upstream.Theme   // nil when no VAULT_THEME_* is set
	SessionLength      time.Duration     // parsed VAULT_SESSION_LENGTH
	VaultOrigin        string            // scheme://host[:port], for service_id deep links
	LoginURL           string            // AUTH_LOGIN_URL; empty sends 401 to browsers too
	AppURL             string            // APP_URL: error pages link back to it; may be empty
	ErrorRedirectURL   string            // ERROR_REDIRECT_URL: navigations' errors go there instead; may be empty
	CallbackPath       string            // VAULT_CALLBACK_PATH; empty: no OAuth callback route
	CallbackURL        string            // Apideck's OAuth callback, {APIDECK_BASE_URL}/vault/callback
	CORSOrigins        []string          // exact origins, as browsers send them
	TrustedProxyHops   int               // X-Forwarded-For entries to trust
	TrustedProxyCIDRs  []netip.Prefix    // the only peers whose X-Forwarded-For is read
}

const (
	maxBodyBytes = 16 << 10 // the optional POST /connect body

	// Option names, in the query and in the JSON body.
	optRedirectURI = "redirect_uri"
	optUnifiedAPIs = "unified_apis"
	optServiceID   = "service_id"
)

// requestedOptions is what a request asks for, before it is narrowed
// against the configuration. A nil field was not given.
type requestedOptions struct {
	redirectURI *string
	unifiedAPIs *[]string
	serviceID   *string
}

// parseQueryOptions reads the options from a raw query. Unknown parameters
// are ignored; a repeated option is refused rather than guessing which
// copy was meant.
func parseQueryOptions(rawQuery string) (requestedOptions, error) {
	q, err := url.ParseQuery(rawQuery)
	if err != nil {
		return requestedOptions{}, invalid("The query string is malformed.", err)
	}
	var o requestedOptions
	for name, vs := range q {
		if len(vs) > 1 && (name == optRedirectURI || name == optUnifiedAPIs || name == optServiceID) {
			return requestedOptions{}, invalid("Each option may appear only once in the query.", nil)
		}
		switch v := vs[0]; name {
		case optRedirectURI:
			o.redirectURI = &v
		case optUnifiedAPIs:
			o.unifiedAPIs = new(strings.Split(v, ","))
		case optServiceID:
			o.serviceID = &v
		}
	}
	return o, nil
}

// readBodyOptions reads the optional JSON body of POST /connect into o. An
// empty body asks for nothing.
func readBodyOptions(w http.ResponseWriter, r *http.Request, o *requestedOptions) error {
	tooLarge := &refusal{code: codeInvalidRequest, status: http.StatusRequestEntityTooLarge,
		detail: "The request body is larger than 16 KiB."}
	if r.ContentLength > maxBodyBytes {
		// Answer at once and drop the connection: otherwise net/http would
		// first try to read and discard the declared body.
		w.Header().Set("Connection", "close")
		return tooLarge
	}
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
		tooLarge.cause = err
		return tooLarge
	}
	if err != nil {
		return invalid("The request body could not be read.", err)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != contentTypeJSON {
		return &refusal{code: codeInvalidRequest, status: http.StatusUnsupportedMediaType,
			detail: "The request body must be application/json.", cause: err}
	}
	return decodeBodyOptions(data, o)
}

// decodeBodyOptions decodes a JSON object with the optional members
// redirect_uri (string), unified_apis (array of strings) and service_id
// (string) into o. Member names match exactly (encoding/json alone would
// also take "Redirect_URI"); unknown members, wrong types and trailing
// data are refused. A null member counts as absent.
func decodeBodyOptions(data []byte, o *requestedOptions) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	var members map[string]json.RawMessage
	if err := dec.Decode(&members); err != nil || members == nil {
		return invalid("The request body is not a valid JSON object.", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return invalid("The request body holds data after its JSON object.", nil)
	}
	for name, raw := range members {
		var field any
		switch name {
		case optRedirectURI:
			field = &o.redirectURI
		case optUnifiedAPIs:
			field = &o.unifiedAPIs
		case optServiceID:
			field = &o.serviceID
		default:
			return invalid("The request body has an unknown field; only redirect_uri, unified_apis and service_id are accepted.", nil)
		}
		if string(raw) == "null" {
			continue // absent: the query's value, if any, stays
		}
		if err := json.Unmarshal(raw, field); err != nil {
			return invalid("A field of the request body has the wrong type.", err)
		}
	}
	return nil
}

// connectOptions are a request's options after narrowing: every value is
// one the configuration offers.
type connectOptions struct {
	redirectURI string   // empty: none is sent
	unifiedAPIs []string // nil: all (no settings.unified_apis)
	serviceID   string   // non-empty: answer with the deep link for the one unified API
}

// narrow checks the requested options against the configuration: a
// request can only pick among what the operator configured, never widen it.
func narrow(cfg ConnectConfig, req requestedOptions) (connectOptions, error) {
	o := connectOptions{redirectURI: cfg.DefaultRedirectURI, unifiedAPIs: cfg.UnifiedAPIs}
	if req.redirectURI != nil {
		u, err := cfg.Redirects.Check(*req.redirectURI)
		if err != nil {
			return connectOptions{}, &refusal{code: codeInvalidRedirectURI, cause: err}
		}
		o.redirectURI = u
	}
	if req.unifiedAPIs != nil {
		// Trimmed and deduplicated, in the requested order; a non-empty
		// subset of the configured ones (empty configures all).
		offered := cfg.UnifiedAPIs
		if len(offered) == 0 {
			offered = upstream.UnifiedAPIs
		}
		o.unifiedAPIs = nil
		for _, api := range *req.unifiedAPIs {
			api = strings.TrimSpace(api)
			if api == "" || slices.Contains(o.unifiedAPIs, api) {
				continue
			}
			if !slices.Contains(offered, api) {
				return connectOptions{}, unifiedAPIsRefused(offered)
			}
			o.unifiedAPIs = append(o.unifiedAPIs, api)
		}
		if len(o.unifiedAPIs) == 0 {
			return connectOptions{}, unifiedAPIsRefused(offered)
		}
	}
	if req.serviceID != nil {
		if !validServiceID(*req.serviceID) {
			return connectOptions{}, invalid("service_id must be 1 to 64 characters of a-z, 0-9 and '-'.", nil)
		}
		// The APIs from the request, or the configuration when it narrowed
		// none; "all" never names one connector's API.
		if len(o.unifiedAPIs) != 1 {
			return connectOptions{}, invalid("service_id needs exactly one unified API.", nil)
		}
		o.serviceID = *req.serviceID
	}
	return o, nil
}

// unifiedAPIsRefused lists the ids on offer, which are no secret: the
// frontend's author can see at once what to ask for instead.
func unifiedAPIsRefused(offered []string) error {
	return &refusal{code: codeInvalidUnifiedAPIs,
		detail: "unified_apis must be a non-empty subset of: " + strings.Join(offered, ", ") + "."}
}

// validServiceID reports whether s is 1–64 of [a-z0-9-], which also makes
// it safe to put into a URL path unescaped.
func validServiceID(s string) bool {
	return len(s) > 0 && len(s) <= 64 && !strings.ContainsFunc(s, func(c rune) bool {
		return !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-')
	})
}

// sessionRequest builds the body for Apideck from configuration, the
// mapped consumer and the narrowed options, never from the browser's JSON.
// It copies the shared configuration (but for the *bool settings, never
// written through), so nothing done downstream reaches the next request.
func sessionRequest(cfg ConnectConfig, c auth.Consumer, o connectOptions) upstream.SessionRequest {
	settings := cfg.Settings
	// slices.Clone keeps nil as nil and empty as empty: allow_actions
	// omitted versus [] means "all" versus "none".
	settings.AllowActions = slices.Clone(cfg.Settings.AllowActions)
	settings.UnifiedAPIs = slices.Clone(o.unifiedAPIs)

	req := upstream.SessionRequest{
		RedirectURI:            o.redirectURI,
		CustomConsumerSettings: c.CustomSettings, // a fresh map from the mapping
	}
	if !reflect.ValueOf(settings).IsZero() {
		req.Settings = &settings
	}
	if cfg.Theme != nil {
		req.Theme = new(*cfg.Theme)
	}
	if c.Metadata != nil {
		req.ConsumerMetadata = new(upstream.ConsumerMetadata(*c.Metadata))
	}
	return req
}
