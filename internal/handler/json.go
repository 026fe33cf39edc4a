package handler

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
)

const (
	contentTypeJSON    = "application/json"
	contentTypeProblem = "application/problem+json"
)

// writeJSON renders v into a buffer before writing anything, so an encoding
// failure (its only error) can still become a problem instead of half a 200.
func writeJSON(w http.ResponseWriter, status int, contentType string, v any) error {
	var buf bytes.Buffer
	if err := json.NewEncoder(&buf).Encode(v); err != nil {
		return err
	}
	writeBody(w, status, contentType, buf.Bytes())
	return nil
}

// writeBody sends a complete, already encoded body.
func writeBody(w http.ResponseWriter, status int, contentType string, body []byte) {
	// Both values share one backing array (one allocation, not two); each
	// slice is capped at its single element, so appending to one header's
	// values can never overwrite the other's.
	vals := []string{contentType, strconv.Itoa(len(body))}
	h := w.Header()
	h["Content-Type"] = vals[0:1:1]
	h["Content-Length"] = vals[1:2:2]
	w.WriteHeader(status)
	// A failed write means the client left; there is no one to tell.
	_, _ = w.Write(body)
}
