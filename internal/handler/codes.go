package handler

// Problem codes: the "code" member of every problem body (SPEC §3). Scripts
// match on them, so they never change.
const (
	codeAuthUnavailable         = "auth_unavailable"
	codeCrossSite               = "cross_site"
	codePrefetchRefused         = "prefetch_refused"
	codeUnauthenticated         = "unauthenticated"
	codeNoConsumer              = "no_consumer"
	codeInvalidRedirectURI      = "invalid_redirect_uri"
	codeInvalidUnifiedAPIs      = "invalid_unified_apis"
	codeInvalidRequest          = "invalid_request"
	codeRateLimited             = "rate_limited"
	codeUpstreamAuth            = "upstream_auth"
	codeUpstreamPaymentRequired = "upstream_payment_required"
	codeUpstreamRejected        = "upstream_rejected"
	codeUpstreamBusy            = "upstream_busy"
	codeUpstreamUnavailable     = "upstream_unavailable"
	codeUpstreamTimeout         = "upstream_timeout"
	codeUpstreamInvalidResponse = "upstream_invalid_response"
	codeNotFound                = "not_found"
	codeMethodNotAllowed        = "method_not_allowed"
	codeInternal                = "internal"
)

// problemTypePrefix makes a code a URI for the problem's "type" member.
const problemTypePrefix = "urn:vaultgate:problem:"

// title is the short, fixed summary of a problem type (RFC 9457 "title").
func title(code string) string {
	switch code {
	case codeAuthUnavailable:
		return "Authentication unavailable"
	case codeCrossSite:
		return "Cross-site request refused"
	case codePrefetchRefused:
		return "Prefetch refused"
	case codeUnauthenticated:
		return "Unauthenticated"
	case codeNoConsumer:
		return "No consumer"
	case codeInvalidRedirectURI:
		return "Invalid redirect_uri"
	case codeInvalidUnifiedAPIs:
		return "Invalid unified_apis"
	case codeInvalidRequest:
		return "Invalid request"
	case codeRateLimited:
		return "Too many requests"
	case codeUpstreamAuth:
		return "Apideck refused our credentials"
	case codeUpstreamPaymentRequired:
		return "Apideck request limit reached"
	case codeUpstreamRejected:
		return "Apideck rejected the session request"
	case codeUpstreamBusy:
		return "Apideck is busy"
	case codeUpstreamUnavailable:
		return "Apideck unavailable"
	case codeUpstreamTimeout:
		return "Apideck timed out"
	case codeUpstreamInvalidResponse:
		return "Invalid answer from Apideck"
	case codeNotFound:
		return "Not found"
	case codeMethodNotAllowed:
		return "Method not allowed"
	}
	return "Internal error"
}
