package simulator

import (
	"context"
	"io"
	"net/http"
	"strings"
	"time"
)

// maxBodyBytes bounds what the simulator reads of a request body; Apideck's
// own limit is undocumented, a session request is well under 1 KiB.
const maxBodyBytes = 1 << 20

// sessionBody is Apideck's success envelope.
type sessionBody struct {
	StatusCode int         `json:"status_code"`
	Status     string      `json:"status"`
	Data       sessionData `json:"data"`
}

type sessionData struct {
	SessionURI   string `json:"session_uri,omitempty"`
	SessionToken string `json:"session_token,omitempty"`
	// Padding is only set by FaultHugeBody.
	Padding string `json:"padding,omitempty"`
}

// callState is the configuration one call sees, taken under the lock when
// the call arrives.
type callState struct {
	status  int // injected status; 0 = none
	hang    bool
	body    Body
	fault   Fault
	latency time.Duration
	origin  string
	release <-chan struct{}
}

// handleSessions serves POST /vault/sessions.
func (s *Simulator) handleSessions(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		writeAPIError(w, &apiError{status: http.StatusMethodNotAllowed, detail: "Use POST"})
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBodyBytes+1))
	if err != nil {
		return // the client went away mid-body; there is no one to answer
	}
	st := s.begin(r.Header, body)
	ctx := r.Context()
	if !pause(ctx, st.release, st.latency) {
		return
	}
	// An injected status precedes the fault, an injected hang both.
	hang := st.hang || (st.status < 300 && st.fault == FaultHang)
	switch {
	case hang:
		if pause(ctx, st.release, -1) {
			abortConnection(w) // released by Reset while the client still waits
		}
		return
	case st.status >= 300:
		statusResponse(st.status).write(w)
		return
	case st.body == BodyHTML, st.fault == FaultHTML200:
		html200().write(w)
		return
	case st.fault == FaultRetryAfter429:
		retryAfter429().write(w)
		return
	}
	resp := st.body.alter(s.answer(r, body, st))
	switch st.fault {
	case FaultResetMidBody:
		resetMidBody(w, resp)
	case FaultTrickle:
		trickle(ctx, w, resp)
	default:
		resp.write(w)
	}
}

// begin counts and records a call and takes the state it will see.
func (s *Simulator) begin(h http.Header, body []byte) callState {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.last = Recorded{Header: h.Clone(), Body: cloneBytes(body)}
	in := s.takeInjection(RouteCreateSession)
	return callState{status: in.Status, hang: in.Hang, body: in.Body, fault: s.fault, latency: s.latency + in.Delay, origin: s.origin, release: s.release}
}

// answer validates the request and, when it is valid, creates a session.
func (s *Simulator) answer(r *http.Request, body []byte, st callState) response {
	if len(body) > maxBodyBytes {
		if e := s.checkCredentials(r.Header); e != nil {
			return e.response()
		}
		return (&apiError{status: http.StatusRequestEntityTooLarge, detail: "Request body too large"}).response()
	}
	in, e := s.validate(r.Header, body)
	if e != nil {
		return e.response()
	}
	token, err := s.issue(in, time.Now())
	if err != nil {
		return internalError()
	}
	origin := st.origin
	if origin == "" {
		origin = requestOrigin(r)
	}
	data := sessionData{SessionURI: origin + "/session/" + token, SessionToken: token}
	switch st.fault {
	case FaultForeignOrigin:
		data.SessionURI = foreignOrigin + "/session/" + token
	case FaultMissingToken:
		data.SessionToken = ""
	case FaultHugeBody:
		data.Padding = strings.Repeat("x", hugeBodyBytes)
	}
	return jsonResponse(http.StatusOK, sessionBody{StatusCode: http.StatusOK, Status: "OK", Data: data})
}

// requestOrigin is the simulator's own origin as the client reached it.
func requestOrigin(r *http.Request) string {
	if r.TLS != nil {
		return "https://" + r.Host
	}
	return "http://" + r.Host
}

// pause waits d (forever when d < 0), until the client goes away, or until
// Reset releases held calls. It reports whether the client is still there.
func pause(ctx context.Context, release <-chan struct{}, d time.Duration) bool {
	if d == 0 {
		return ctx.Err() == nil
	}
	var timeout <-chan time.Time
	if d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		timeout = t.C
	}
	select {
	case <-ctx.Done():
		return false
	case <-release:
	case <-timeout:
	}
	return ctx.Err() == nil
}
