package main

import (
	"context"
	"encoding/json"
	"errors"
	"mime"
	"net"
	"net/http"
	"time"

	"github.com/vaultgate/vaultgate/internal/simulator"
)

const (
	maxControlBody = 4 << 10
	// sendTimeout bounds POST /_sim/events; the receiver may be slow.
	sendTimeout = 15 * time.Second
)

// faultRequest is the body of POST /_sim/faults.
type faultRequest struct {
	Route  simulator.Route `json:"route"`
	Status int             `json:"status"`
	Delay  string          `json:"delay"`
	Hang   bool            `json:"hang"`
	Count  int             `json:"count"`
	Body   simulator.Body  `json:"body"`
}

// eventRequest is the body of POST /_sim/events.
type eventRequest struct {
	ConsumerID string `json:"consumer_id"`
	UnifiedAPI string `json:"unified_api"`
	ServiceID  string `json:"service_id"`
	EventType  string `json:"event_type"`
}

// control serves /_sim/*, the endpoints that script the simulator for
// people outside Go.
func control(sim *simulator.Simulator) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /_sim/faults", func(w http.ResponseWriter, r *http.Request) {
		var in faultRequest
		if !readJSON(w, r, &in) {
			return
		}
		var delay time.Duration
		if in.Delay != "" {
			d, err := time.ParseDuration(in.Delay)
			if err != nil {
				writeError(w, http.StatusBadRequest, "delay must be a duration such as 2s")
				return
			}
			delay = d
		}
		err := sim.Inject(simulator.Injection{Route: in.Route, Status: in.Status, Delay: delay, Hang: in.Hang, Count: in.Count, Body: in.Body})
		if err != nil {
			writeError(w, http.StatusBadRequest, err.Error())
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("DELETE /_sim/faults", func(w http.ResponseWriter, _ *http.Request) {
		sim.ClearInjections()
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("POST /_sim/events", func(w http.ResponseWriter, r *http.Request) {
		var in eventRequest
		if !readJSON(w, r, &in) {
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), sendTimeout)
		defer cancel()
		switch err := sim.SendEvent(ctx, in.ConsumerID, in.UnifiedAPI, in.ServiceID, in.EventType); {
		case err == nil:
			w.WriteHeader(http.StatusNoContent)
		case errors.Is(err, simulator.ErrNoWebhookURL):
			writeError(w, http.StatusConflict, "start apideck-sim with -webhook-url to send events")
		case errors.Is(err, simulator.ErrUnknownConnector), errors.Is(err, simulator.ErrInvalidEventType):
			writeError(w, http.StatusBadRequest, err.Error())
		default:
			writeError(w, http.StatusBadGateway, err.Error())
		}
	})
	mux.HandleFunc("/_sim/", func(w http.ResponseWriter, _ *http.Request) {
		writeError(w, http.StatusNotFound, "unknown control endpoint or method")
	})
	return loopbackOnly(mux)
}

// loopbackOnly refuses peers other than this machine: the control
// endpoints change what every client of the simulator sees.
func loopbackOnly(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host, _, err := net.SplitHostPort(r.RemoteAddr)
		if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsLoopback() {
			writeError(w, http.StatusForbidden, "control endpoints answer loopback peers only")
			return
		}
		next.ServeHTTP(w, r)
	})
}

// readJSON decodes a small JSON body into v, answering the error itself.
// Requiring application/json keeps a web page's simple (no-preflight)
// cross-site POST from reaching the control endpoints.
func readJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		writeError(w, http.StatusUnsupportedMediaType, "Content-Type must be application/json")
		return false
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxControlBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		writeError(w, http.StatusBadRequest, "invalid JSON body: "+err.Error())
		return false
	}
	return true
}

func writeError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": msg})
}
