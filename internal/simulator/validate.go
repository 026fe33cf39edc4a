package simulator

import (
	"bytes"
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"maps"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

const (
	defaultSessionLength = time.Hour
	maxSessionLength     = 7 * 24 * time.Hour
)

// sessionInput is a POST /vault/sessions request that passed validation.
type sessionInput struct {
	consumerID string
	request    sessionRequest
	length     time.Duration
}

// validate checks a request the way Apideck does: credentials first, then
// the required headers, then the body.
func (s *Simulator) validate(h http.Header, body []byte) (sessionInput, *apiError) {
	if e := s.checkCredentials(h); e != nil {
		return sessionInput{}, e
	}
	consumerID := h.Get("X-Apideck-Consumer-Id")
	if strings.TrimSpace(consumerID) == "" {
		return sessionInput{}, missingHeader("x-apideck-consumer-id")
	}
	req, length, e := parseBody(h.Get("Content-Type"), body)
	if e != nil {
		return sessionInput{}, e
	}
	return sessionInput{consumerID: consumerID, request: req, length: length}, nil
}

// checkCredentials checks the API key and the application id. http.Header
// canonicalises names, so any spelling of a header name matches.
func (s *Simulator) checkCredentials(h http.Header) *apiError {
	authz := h.Get("Authorization")
	if authz == "" {
		return &apiError{status: http.StatusUnauthorized, detail: "Missing authentication"}
	}
	scheme, key, _ := strings.Cut(authz, " ")
	// Constant time, as a real key check would be; the simulator is also
	// used to show what a careful upstream looks like.
	if !strings.EqualFold(scheme, "Bearer") ||
		subtle.ConstantTimeCompare([]byte(strings.TrimSpace(key)), []byte(s.apiKey)) != 1 {
		return &apiError{status: http.StatusUnauthorized, detail: "Invalid API key"}
	}
	appID := h.Get("X-Apideck-App-Id")
	if appID == "" {
		return missingHeader("x-apideck-app-id")
	}
	if appID != s.appID {
		return &apiError{status: http.StatusUnauthorized, detail: "Invalid application id"}
	}
	return nil
}

func missingHeader(name string) *apiError {
	return &apiError{status: http.StatusBadRequest, typeName: typeHeadersValidation, detail: "Missing Header: " + name}
}

func invalid(format string, args ...any) *apiError {
	return &apiError{status: http.StatusBadRequest, detail: fmt.Sprintf(format, args...)}
}

// parseBody validates the optional JSON body; an empty body means {}.
func parseBody(contentType string, body []byte) (sessionRequest, time.Duration, *apiError) {
	var req sessionRequest
	if len(bytes.TrimSpace(body)) == 0 {
		req.Settings = &Settings{UnifiedAPIs: unifiedAPIs()}
		return req, defaultSessionLength, nil
	}
	if mt, _, err := mime.ParseMediaType(contentType); err != nil || mt != "application/json" {
		return req, 0, invalid("Content-Type must be application/json")
	}
	top, ok := object(body)
	if !ok {
		return req, 0, invalid("Request body must be a JSON object")
	}
	length := defaultSessionLength
	for _, k := range sortedKeys(top) {
		v := top[k]
		var e *apiError
		switch k {
		case "consumer_metadata":
			e = stringFields(k, v, "account_name", "user_name", "email", "image")
		case "redirect_uri":
			e = str(k, v)
		case "theme":
			e = stringFields(k, v, "favicon", "logo", "primary_color", "sidepanel_background_color",
				"sidepanel_text_color", "vault_name", "privacy_url", "terms_url")
		case "custom_consumer_settings":
			if _, ok := object(v); !ok {
				e = invalid("%s must be an object", k)
			}
		case "settings":
			length, e = checkSettings(v)
		default:
			e = invalid("Unknown property: %q", k)
		}
		if e != nil {
			return req, 0, e
		}
	}
	// Every field was type-checked above, so this cannot fail on types.
	if err := json.Unmarshal(body, &req); err != nil {
		return req, 0, invalid("Request body is not valid JSON")
	}
	if req.Settings == nil {
		req.Settings = &Settings{}
	}
	// An omitted (or empty) list offers every unified API.
	if len(req.Settings.UnifiedAPIs) == 0 {
		req.Settings.UnifiedAPIs = unifiedAPIs()
	}
	return req, length, nil
}

// checkSettings validates the settings object and returns the session length.
func checkSettings(raw json.RawMessage) (time.Duration, *apiError) {
	settings, ok := object(raw)
	if !ok {
		return 0, invalid("settings must be an object")
	}
	length := defaultSessionLength
	for _, k := range sortedKeys(settings) {
		v, name := settings[k], "settings."+k
		var e *apiError
		switch k {
		case "unified_apis":
			e = enumArray(name, v, unifiedAPIs())
		case "allow_actions":
			e = enumArray(name, v, allowActions())
		case "session_length":
			if e = str(name, v); e == nil {
				var s string
				_ = json.Unmarshal(v, &s)
				var ok bool
				if length, ok = parseSessionLength(s); !ok {
					e = invalid("%s must match ^[1-9][0-9]*[mhd]$ and be at most one week", name)
				}
			}
		case "hide_resource_settings", "sandbox_mode", "isolation_mode", "show_logs",
			"show_suggestions", "show_sidebar", "auto_redirect", "hide_guides":
			if kind(v) != 't' && kind(v) != 'f' {
				e = invalid("%s must be a boolean", name)
			}
		default:
			e = invalid("Unknown property: %q", name)
		}
		if e != nil {
			return 0, e
		}
	}
	return length, nil
}

// parseSessionLength accepts <n>m, <n>h or <n>d with n ≥ 1, no leading
// zero, at most one week.
func parseSessionLength(s string) (time.Duration, bool) {
	if len(s) < 2 || s[0] == '0' {
		return 0, false
	}
	var unit time.Duration
	switch s[len(s)-1] {
	case 'm':
		unit = time.Minute
	case 'h':
		unit = time.Hour
	case 'd':
		unit = 24 * time.Hour
	default:
		return 0, false
	}
	digits := s[:len(s)-1]
	// Six digits already exceed a week in any unit; the bound also keeps
	// the multiplication below from overflowing.
	if len(digits) > 6 || strings.Trim(digits, "0123456789") != "" {
		return 0, false
	}
	n, err := strconv.Atoi(digits)
	if err != nil {
		return 0, false
	}
	d := time.Duration(n) * unit
	return d, d <= maxSessionLength
}

// stringFields checks that raw is an object whose listed fields, when
// present, are strings. Other fields are not documented as rejected, so
// they are left alone.
func stringFields(name string, raw json.RawMessage, fields ...string) *apiError {
	obj, ok := object(raw)
	if !ok {
		return invalid("%s must be an object", name)
	}
	for _, f := range fields {
		if v, ok := obj[f]; ok {
			if e := str(name+"."+f, v); e != nil {
				return e
			}
		}
	}
	return nil
}

func str(name string, raw json.RawMessage) *apiError {
	if kind(raw) != '"' {
		return invalid("%s must be a string", name)
	}
	return nil
}

// enumArray checks that raw is an array of strings, each one of allowed.
func enumArray(name string, raw json.RawMessage, allowed []string) *apiError {
	var items []json.RawMessage
	if kind(raw) != '[' || json.Unmarshal(raw, &items) != nil {
		return invalid("%s must be an array", name)
	}
	for i, it := range items {
		var s string
		if kind(it) != '"' || json.Unmarshal(it, &s) != nil {
			return invalid("%s[%d] must be a string", name, i)
		}
		if !slices.Contains(allowed, s) {
			return invalid("%s[%d] must be one of: %s", name, i, strings.Join(allowed, ", "))
		}
	}
	return nil
}

// object decodes raw when it is a JSON object; json.Unmarshal alone would
// also accept null.
func object(raw []byte) (map[string]json.RawMessage, bool) {
	if kind(raw) != '{' {
		return nil, false
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, false
	}
	return m, true
}

// kind is the first significant byte of a JSON value: '{', '[', '"', 't',
// 'f', 'n', or a digit or '-' for numbers; 0 when empty.
func kind(raw []byte) byte {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return 0
	}
	return raw[0]
}

// sortedKeys makes the reported problem deterministic when there are several.
func sortedKeys(m map[string]json.RawMessage) []string {
	return slices.Sorted(maps.Keys(m))
}
