package handler

import (
	"errors"
	"slices"
	"strings"

	"github.com/vaultgate/vaultgate/internal/upstream"
)

// maxServiceIDLen bounds service_id (SPEC §2).
const maxServiceIDLen = 64

// connectOptions are a request's options after narrowing: every value is
// one the configuration offers.
type connectOptions struct {
	redirectURI string   // empty: none is sent
	unifiedAPIs []string // nil: all (no settings.unified_apis)
	serviceID   string   // non-empty: answer with the deep link for deepLinkAPI
	deepLinkAPI string
}

var (
	errNoRedirects      = errors.New("no redirect allow-list configured")
	errAPINotOffered    = errors.New("unified API not offered")
	errNoAPIs           = errors.New("empty unified_apis")
	errBadServiceID     = errors.New("service_id is not 1-64 of [a-z0-9-]")
	errServiceIDNeedAPI = errors.New("service_id needs exactly one unified API")
)

// narrower checks requested options against the configuration. Options are
// narrowed, never widened: a request can only pick among what the operator
// configured.
type narrower struct {
	redirects       *Allowlist // nil allows no redirect_uri
	defaultRedirect string
	configured      []string            // VAULT_UNIFIED_APIS; empty = all
	offered         map[string]struct{} // configured, or every documented id
}

func newNarrower(cfg ConnectConfig) narrower {
	offered := cfg.UnifiedAPIs
	if len(offered) == 0 {
		offered = upstream.UnifiedAPIs
	}
	return narrower{
		redirects:       cfg.Redirects,
		defaultRedirect: cfg.DefaultRedirectURI,
		configured:      slices.Clone(cfg.UnifiedAPIs),
		offered:         originSet(offered),
	}
}

func (n narrower) narrow(req requestedOptions) (connectOptions, error) {
	var o connectOptions
	var err error
	if o.redirectURI, err = n.redirectURI(req.redirectURI); err != nil {
		return connectOptions{}, err
	}
	if o.unifiedAPIs, err = n.unifiedAPIs(req.unifiedAPIs); err != nil {
		return connectOptions{}, err
	}
	if req.serviceID != nil {
		if !validServiceID(*req.serviceID) {
			return connectOptions{}, invalid(codeInvalidRequest, "service_id must be 1 to 64 characters of a-z, 0-9 and '-'.", errBadServiceID)
		}
		// From the request, or the configuration when the request narrowed
		// nothing; "all" never names one connector's API.
		if len(o.unifiedAPIs) != 1 {
			return connectOptions{}, invalid(codeInvalidRequest, "service_id needs exactly one unified API.", errServiceIDNeedAPI)
		}
		o.serviceID, o.deepLinkAPI = *req.serviceID, o.unifiedAPIs[0]
	}
	return o, nil
}

func (n narrower) redirectURI(req *string) (string, error) {
	if req == nil {
		return n.defaultRedirect, nil
	}
	const detail = "redirect_uri is not one of the allowed redirect URIs."
	if n.redirects == nil {
		return "", invalid(codeInvalidRedirectURI, detail, errNoRedirects)
	}
	u, err := n.redirects.Check(*req)
	if err != nil {
		return "", invalid(codeInvalidRedirectURI, detail, err)
	}
	return u, nil
}

// unifiedAPIs trims and deduplicates the requested ids (keeping their
// order) and requires a non-empty subset of the offered ones. Without a
// request it returns the configured list (nil = all).
func (n narrower) unifiedAPIs(req *[]string) ([]string, error) {
	if req == nil {
		return slices.Clone(n.configured), nil
	}
	const detail = "unified_apis must be a non-empty subset of the unified APIs this service offers."
	var out []string
	for _, api := range *req {
		api = strings.TrimSpace(api)
		if api == "" || slices.Contains(out, api) {
			continue
		}
		if _, ok := n.offered[api]; !ok {
			return nil, invalid(codeInvalidUnifiedAPIs, detail, errAPINotOffered)
		}
		out = append(out, api)
	}
	if len(out) == 0 {
		return nil, invalid(codeInvalidUnifiedAPIs, detail, errNoAPIs)
	}
	return out, nil
}

// validServiceID reports whether s is 1–64 of [a-z0-9-], which also makes
// it safe to put into a URL path unescaped.
func validServiceID(s string) bool {
	if len(s) == 0 || len(s) > maxServiceIDLen {
		return false
	}
	for i := range len(s) {
		c := s[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}
