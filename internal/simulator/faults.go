package simulator

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"time"
)

// Fault is a misbehaviour of POST /vault/sessions, for testing how a client
// copes with an upstream that fails in ways Apideck's documentation does
// not promise it never will.
type Fault int

// The faults. Those that alter a session (FaultForeignOrigin,
// FaultMissingToken, FaultHugeBody) apply only to requests that pass
// validation; the others apply to every call.
const (
	FaultNone          Fault = iota // answer normally
	FaultHang                       // never answer; hold the request until the client goes away
	FaultHTML200                    // 200 with an HTML page instead of JSON
	FaultResetMidBody               // send the headers and half the body, then close the connection
	FaultTrickle                    // send the body one byte per trickleInterval
	FaultHugeBody                   // a valid session padded past hugeBodyBytes
	FaultForeignOrigin              // session_uri on https://evil.example
	FaultMissingToken               // success without session_token
	FaultRetryAfter429              // 429 with Retry-After: 2 and retry-after-ms: 2000
)

const (
	trickleInterval = 100 * time.Millisecond
	// hugeBodyBytes exceeds what a careful client reads of any answer
	// (vaultgate: 1 MiB of a session or connection, 4 MiB of a list).
	hugeBodyBytes = 5 << 20
	foreignOrigin = "https://evil.example"
)

// String names the fault for test output.
func (f Fault) String() string {
	switch f {
	case FaultNone:
		return "none"
	case FaultHang:
		return "hang"
	case FaultHTML200:
		return "html_200"
	case FaultResetMidBody:
		return "reset_mid_body"
	case FaultTrickle:
		return "trickle"
	case FaultHugeBody:
		return "huge_body"
	case FaultForeignOrigin:
		return "foreign_origin"
	case FaultMissingToken:
		return "missing_token"
	case FaultRetryAfter429:
		return "retry_after_429"
	}
	return fmt.Sprintf("fault(%d)", int(f))
}

// Route names an endpoint of the simulator, for Inject.
type Route string

// The routes an Injection can target.
const (
	RouteCreateSession    Route = "create_session"    // POST /vault/sessions
	RouteListConnections  Route = "list_connections"  // GET /vault/connections
	RouteGetConnection    Route = "get_connection"    // GET /vault/connections/{unified_api}/{service_id}
	RouteDeleteConnection Route = "delete_connection" // DELETE /vault/connections/{unified_api}/{service_id}
	RouteAny              Route = "*"                 // every route above
)

// Routes lists the routes an Injection can name, RouteAny last.
func Routes() []Route {
	return []Route{RouteCreateSession, RouteListConnections, RouteGetConnection, RouteDeleteConnection, RouteAny}
}

// maxInjections bounds the injections waiting at once.
const maxInjections = 1024

// Injection makes calls of a route misbehave, before any validation: after
// Delay (or never, with Hang, until the client goes away or Reset), answer
// Status instead of the real answer. A Status below 300 (or 0) answers
// normally after the delay, changed as Body says. Count is how many calls
// it applies to; 0 means every call until ClearInjections or Reset. Each
// call takes the first injection for its route, in the order they were
// added.
type Injection struct {
	Route  Route
	Status int
	Delay  time.Duration
	Hang   bool
	Count  int
	Body   Body
}

// Inject adds in after the injections already waiting.
func (s *Simulator) Inject(in Injection) error {
	if !slices.Contains(Routes(), in.Route) {
		return fmt.Errorf("simulator: unknown route %q", in.Route)
	}
	if in.Status != 0 && (in.Status < 200 || in.Status > 599) {
		return fmt.Errorf("simulator: status %d is not an HTTP status", in.Status)
	}
	if in.Delay < 0 || in.Delay > time.Hour || in.Count < 0 {
		return errors.New("simulator: delay must be 0–1h and count at least 0")
	}
	if !slices.Contains(Bodies(), in.Body) {
		return fmt.Errorf("simulator: unknown body %q", in.Body)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.injections) >= maxInjections {
		return fmt.Errorf("simulator: at most %d injections wait at once", maxInjections)
	}
	s.injections = append(s.injections, in)
	return nil
}

// ClearInjections forgets every waiting injection (and queued status).
func (s *Simulator) ClearInjections() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.injections = nil
}

// QueueStatuses makes the next len(codes) calls of POST /vault/sessions
// answer these statuses, in order, before any fault or validation (see
// statusResponse for the bodies). A code below 300 lets that call be
// handled normally.
func (s *Simulator) QueueStatuses(codes ...int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range codes {
		s.injections = append(s.injections, Injection{Route: RouteCreateSession, Status: c, Count: 1})
	}
}

// takeInjection counts a call of r and returns the injection it gets, if
// any. The caller holds s.mu.
func (s *Simulator) takeInjection(r Route) Injection {
	s.calls[r]++
	for i, in := range s.injections {
		if in.Route != r && in.Route != RouteAny {
			continue
		}
		if in.Count > 0 {
			if s.injections[i].Count--; s.injections[i].Count == 0 {
				s.injections = slices.Delete(s.injections, i, i+1)
			}
		}
		return in
	}
	return Injection{}
}

// intercept applies r's injection to a call; it reports whether the call
// has been answered (or dropped) and must not be handled further, and
// otherwise how the real answer is to be changed (Body.alter).
func (s *Simulator) intercept(w http.ResponseWriter, req *http.Request, r Route) (Body, bool) {
	s.mu.Lock()
	in, release := s.takeInjection(r), s.release
	s.mu.Unlock()
	ctx := req.Context()
	if in.Hang {
		if pause(ctx, release, -1) {
			abortConnection(w) // released by Reset while the client still waits
		}
		return in.Body, true
	}
	if !pause(ctx, release, in.Delay) {
		return in.Body, true
	}
	switch {
	case in.Status >= 300:
		statusResponse(in.Status).write(w)
		return in.Body, true
	case in.Body == BodyHTML:
		html200().write(w)
		return in.Body, true
	}
	return in.Body, false
}

// SetLatency delays every answer of POST /vault/sessions by d. The delay
// ends early when the client goes away.
func (s *Simulator) SetLatency(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.latency = max(d, 0)
}

// SetFault makes POST /vault/sessions misbehave until the next SetFault or
// Reset.
func (s *Simulator) SetFault(f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fault = f
}

// statusResponse is the answer for an injected status: 3xx and the
// gateway errors 502, 503 and 504 with an HTML body as a load balancer in
// front of Apideck would send, every other status in Apideck's JSON error
// shape, as its application answers.
func statusResponse(code int) response {
	if code >= 400 && code != http.StatusBadGateway && code != http.StatusServiceUnavailable && code != http.StatusGatewayTimeout {
		return (&apiError{status: code, detail: "Simulated error"}).response()
	}
	body := fmt.Sprintf("<html><head><title>%d %s</title></head><body><h1>%d %s</h1></body></html>\n",
		code, http.StatusText(code), code, http.StatusText(code))
	return response{status: code, contentType: "text/html; charset=utf-8", body: []byte(body)}
}

// html200 looks like a captive portal or a maintenance page answering
// with 200: the status alone must not convince a client it got a session.
func html200() response {
	return response{
		status:      http.StatusOK,
		contentType: "text/html; charset=utf-8",
		body:        []byte("<!doctype html><html><head><title>Maintenance</title></head><body><h1>We'll be right back</h1></body></html>\n"),
	}
}

func retryAfter429() response {
	resp := (&apiError{status: http.StatusTooManyRequests, detail: "Rate limit exceeded"}).response()
	resp.header = http.Header{"Retry-After": {"2"}, "Retry-After-Ms": {"2000"}}
	return resp
}

// resetMidBody announces the full body, sends half of it and closes the
// connection, so the client sees a truncated body.
func resetMidBody(w http.ResponseWriter, resp response) {
	half := resp.body[:len(resp.body)/2]
	conn, buf, err := http.NewResponseController(w).Hijack()
	if err != nil {
		// HTTP/2 cannot be hijacked: send part of the body, then abort
		// the stream, which the client sees the same way.
		w.Header().Set("Content-Type", resp.contentType)
		w.Header().Set("Content-Length", fmt.Sprint(len(resp.body)))
		w.WriteHeader(resp.status)
		_, _ = w.Write(half)
		_ = http.NewResponseController(w).Flush()
		panic(http.ErrAbortHandler)
	}
	defer conn.Close()
	_, _ = fmt.Fprintf(buf, "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %d\r\nConnection: close\r\n\r\n",
		resp.status, http.StatusText(resp.status), resp.contentType, len(resp.body))
	_, _ = buf.Write(half)
	_ = buf.Flush()
}

// trickle sends the headers at once and then the body one byte per
// trickleInterval, stopping when the client goes away.
func trickle(ctx context.Context, w http.ResponseWriter, resp response) {
	rc := http.NewResponseController(w)
	w.Header().Set("Content-Type", resp.contentType)
	w.Header().Set("Content-Length", fmt.Sprint(len(resp.body)))
	w.WriteHeader(resp.status)
	for i := range resp.body {
		if _, err := w.Write(resp.body[i : i+1]); err != nil {
			return
		}
		if rc.Flush() != nil {
			return
		}
		if i == len(resp.body)-1 {
			return
		}
		t := time.NewTimer(trickleInterval)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

// abortConnection drops the connection without an answer.
func abortConnection(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	_ = conn.Close()
}
