package handler

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
)

// maxBodyBytes bounds the optional POST /connect body.
const maxBodyBytes = 16 << 10

// Option names, in the query and in the JSON body.
const (
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

// override returns o with every field that b sets taken from b: body
// fields win over query parameters.
func (o requestedOptions) override(b requestedOptions) requestedOptions {
	if b.redirectURI != nil {
		o.redirectURI = b.redirectURI
	}
	if b.unifiedAPIs != nil {
		o.unifiedAPIs = b.unifiedAPIs
	}
	if b.serviceID != nil {
		o.serviceID = b.serviceID
	}
	return o
}

var (
	errRepeatedParam = errors.New("option repeated in the query")
	errNotObject     = errors.New("body is not a JSON object")
	errTrailingData  = errors.New("data after the JSON object")
	errUnknownField  = errors.New("unknown field in the body")
)

// parseQueryOptions reads the options from a raw query. Unknown parameters
// are ignored; a repeated option is refused rather than guessing which
// copy was meant.
func parseQueryOptions(rawQuery string) (requestedOptions, error) {
	q, err := url.ParseQuery(rawQuery)
	if err != nil {
		return requestedOptions{}, invalid(codeInvalidRequest, "The query string is malformed.", err)
	}
	var o requestedOptions
	for name, vs := range q {
		if len(vs) > 1 && (name == optRedirectURI || name == optUnifiedAPIs || name == optServiceID) {
			return requestedOptions{}, invalid(codeInvalidRequest, "Each option may appear only once in the query.", errRepeatedParam)
		}
		v := vs[0]
		switch name {
		case optRedirectURI:
			o.redirectURI = &v
		case optUnifiedAPIs:
			apis := strings.Split(v, ",")
			o.unifiedAPIs = &apis
		case optServiceID:
			o.serviceID = &v
		}
	}
	return o, nil
}

// readBodyOptions reads the optional JSON body of POST /connect. An empty
// body asks for nothing.
func readBodyOptions(w http.ResponseWriter, r *http.Request) (requestedOptions, error) {
	tooLarge := &requestError{code: codeInvalidRequest, status: http.StatusRequestEntityTooLarge,
		detail: "The request body is larger than 16 KiB."}
	if r.ContentLength > maxBodyBytes {
		// Answer at once and drop the connection: otherwise net/http would
		// first try to read and discard the declared body.
		w.Header().Set("Connection", "close")
		return requestedOptions{}, tooLarge
	}
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	if err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			tooLarge.err = err
			return requestedOptions{}, tooLarge
		}
		return requestedOptions{}, invalid(codeInvalidRequest, "The request body could not be read.", err)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return requestedOptions{}, nil
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != contentTypeJSON {
		return requestedOptions{}, &requestError{code: codeInvalidRequest, status: http.StatusUnsupportedMediaType,
			detail: "The request body must be application/json.", err: err}
	}
	return decodeBodyOptions(data)
}

// decodeBodyOptions decodes a JSON object with the optional members
// redirect_uri (string), unified_apis (array of strings) and service_id
// (string). Member names match exactly (encoding/json alone would also take
// "Redirect_URI"); unknown members, wrong types and trailing data are
// refused. A null member counts as absent.
func decodeBodyOptions(data []byte) (requestedOptions, error) {
	bad := func(detail string, err error) (requestedOptions, error) {
		return requestedOptions{}, invalid(codeInvalidRequest, detail, err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	var members map[string]json.RawMessage
	if err := dec.Decode(&members); err != nil {
		return bad("The request body is not a valid JSON object.", err)
	}
	if members == nil {
		return bad("The request body is not a valid JSON object.", errNotObject)
	}
	if _, err := dec.Token(); err != io.EOF {
		return bad("The request body holds data after its JSON object.", errTrailingData)
	}
	var o requestedOptions
	for name, raw := range members {
		if bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
			if name == optRedirectURI || name == optUnifiedAPIs || name == optServiceID {
				continue
			}
		}
		var err error
		switch name {
		case optRedirectURI:
			o.redirectURI = new(string)
			err = json.Unmarshal(raw, o.redirectURI)
		case optUnifiedAPIs:
			o.unifiedAPIs = new([]string)
			err = json.Unmarshal(raw, o.unifiedAPIs)
		case optServiceID:
			o.serviceID = new(string)
			err = json.Unmarshal(raw, o.serviceID)
		default:
			return bad("The request body has an unknown field; only redirect_uri, unified_apis and service_id are accepted.", errUnknownField)
		}
		if err != nil {
			return bad("A field of the request body has the wrong type.", err)
		}
	}
	return o, nil
}
