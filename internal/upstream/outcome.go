package upstream

// Values of the outcome label of vaultgate_upstream_requests_total.
//
// One per attempt (so a call retried twice counts three times):
//
//	success           2xx with a usable session
//	auth              401, 403
//	payment_required  402
//	rejected          400, 404, 422 and other 4xx
//	rate_limited      429
//	server_error      5xx
//	network_error     transport failure (connect, TLS, reset, truncated body)
//	timeout           no answer within APIDECK_TIMEOUT, or Apideck answered 408
//	canceled          the caller went away before the answer
//	invalid_response  2xx or 3xx without a usable session
//
// One per call that never reached Apideck:
//
//	circuit_open      refused by the open circuit breaker
//	busy              no concurrency slot freed in time
const (
	outcomeSuccess         = "success"
	outcomeAuth            = "auth"
	outcomePaymentRequired = "payment_required"
	outcomeRejected        = "rejected"
	outcomeRateLimited     = "rate_limited"
	outcomeServerError     = "server_error"
	outcomeNetworkError    = "network_error"
	outcomeTimeout         = "timeout"
	outcomeCanceled        = "canceled"
	outcomeInvalidResponse = "invalid_response"
	outcomeCircuitOpen     = "circuit_open"
	outcomeBusy            = "busy"
)
