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
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	// A failed write means the client left; there is no one to tell.
	_, _ = w.Write(buf.Bytes())
	return nil
}
