package simulator

import (
	"net/http"
	"strings"
)

// Type names Apideck uses in its error bodies (from its OpenAPI examples).
const (
	typeRequestValidation = "RequestValidationError"
	typeHeadersValidation = "RequestHeadersValidationError"
	typeUnauthorized      = "UnauthorizedError"
	typeRequestLimit      = "RequestLimitError"
	typeNotFound          = "EntityNotFoundError"
	typeInvalidState      = "InvalidStateError"
	typeTooManyRequests   = "TooManyRequestsError"
	typeMethodNotAllowed  = "MethodNotAllowedError"
	typePayloadTooLarge   = "PayloadTooLargeError"
	typeGeneric           = "ApiError"

	errorsRef = "https://developers.apideck.com/errors#"
)

// apiError is a rejection answered in Apideck's error shape.
type apiError struct {
	status   int
	typeName string // empty = the usual type for status
	detail   string
}

// errorBody is Apideck's shared error shape for 400, 401, 402, 404 and 422.
type errorBody struct {
	StatusCode int    `json:"status_code"`
	Error      string `json:"error"`
	TypeName   string `json:"type_name"`
	Message    string `json:"message"`
	Detail     string `json:"detail,omitempty"`
	Ref        string `json:"ref"`
}

// body fills in the fields Apideck derives from the status and type.
func (e *apiError) body() errorBody {
	typeName, message := e.typeName, ""
	switch e.status {
	case http.StatusBadRequest:
		if typeName == "" {
			typeName = typeRequestValidation
		}
		message = "Invalid Params"
	case http.StatusUnauthorized:
		typeName, message = typeUnauthorized, "Unauthorized Request"
	case http.StatusPaymentRequired:
		typeName, message = typeRequestLimit, "Request Limit Reached"
	case http.StatusNotFound:
		typeName, message = typeNotFound, "Unknown Resource"
	case http.StatusMethodNotAllowed:
		typeName, message = typeMethodNotAllowed, "Method Not Allowed"
	case http.StatusRequestEntityTooLarge:
		typeName, message = typePayloadTooLarge, "Payload Too Large"
	case http.StatusUnprocessableEntity:
		typeName, message = typeInvalidState, "Invalid State"
	case http.StatusTooManyRequests:
		typeName, message = typeTooManyRequests, "Too Many Requests"
	default:
		if typeName == "" {
			typeName = typeGeneric
		}
		message = http.StatusText(e.status)
	}
	return errorBody{
		StatusCode: e.status,
		Error:      http.StatusText(e.status),
		TypeName:   typeName,
		Message:    message,
		Detail:     e.detail,
		Ref:        errorsRef + strings.ToLower(typeName),
	}
}

// writeAPIError answers e in Apideck's error shape.
func writeAPIError(w http.ResponseWriter, e *apiError) {
	e.response().write(w)
}

func (e *apiError) response() response {
	return jsonResponse(e.status, e.body())
}
