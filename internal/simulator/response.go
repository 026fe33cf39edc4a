package simulator

import (
	"encoding/json"
	"net/http"
	"strconv"
)

// response is an answer computed before it is written, so a fault can
// decide how (or whether) it reaches the client.
type response struct {
	status      int
	contentType string
	header      http.Header // extra headers; may be nil
	body        []byte
}

// jsonResponse renders v before anything is written, so an encoding
// failure never leaves a half-written success behind.
func jsonResponse(status int, v any) response {
	b, err := json.Marshal(v)
	if err != nil {
		return internalError()
	}
	return response{status: status, contentType: "application/json", body: b}
}

func (r response) write(w http.ResponseWriter) {
	for k, v := range r.header {
		w.Header()[k] = v
	}
	w.Header().Set("Content-Type", r.contentType)
	w.Header().Set("Content-Length", strconv.Itoa(len(r.body)))
	w.WriteHeader(r.status)
	_, _ = w.Write(r.body)
}

// internalError is Apideck's error shape for a 500, written out so that it
// cannot itself fail to encode.
func internalError() response {
	return response{status: http.StatusInternalServerError, contentType: "application/json", body: []byte(
		`{"status_code":500,"error":"Internal Server Error","type_name":"` + typeGeneric +
			`","message":"Internal Server Error","ref":"` + errorsRef + `apierror"}`)}
}
