package handler

import (
	"cmp"
	"context"
	"errors"
	"net/http"
	"strings"
	"time"
)

// Check is one readiness probe.
type Check struct {
	Name     string
	Critical bool // fails readiness; the others are only reported
	// Fn returns nil when healthy. Its error's first line is shown on
	// /readyz, so it must not hold secrets.
	Fn func(ctx context.Context) error
}

const (
	checkTimeout    = 2 * time.Second // for every readiness check
	maxCheckMessage = 200             // bytes of a check's error shown on /readyz
)

// errCheckTimeout stands for a check that had not answered by the deadline.
var errCheckTimeout = errors.New("timed out")

type readyzBody struct {
	Status string            `json:"status"`
	Checks map[string]string `json:"checks"`
}

// handleReadyz runs every check concurrently and answers 503 when a
// critical one fails or is still running at the deadline.
func handleReadyz(checks []Check) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), checkTimeout)
		defer cancel()
		done := make([]chan error, len(checks))
		for i, c := range checks {
			done[i] = make(chan error, 1) // buffered: a late check never blocks
			go func() { done[i] <- c.Fn(ctx) }()
		}
		body, status := readyzBody{Status: "ready", Checks: map[string]string{}}, http.StatusOK
		for i, c := range checks {
			err := errCheckTimeout
			select {
			case err = <-done[i]:
			case <-ctx.Done():
			}
			body.Checks[c.Name] = "ok"
			if err != nil {
				body.Checks[c.Name] = shortMessage(err)
				if c.Critical {
					body.Status, status = "not ready", http.StatusServiceUnavailable
				}
			}
		}
		_ = writeJSON(w, status, contentTypeJSON, body)
	}
}

// shortMessage is err's first line, cut to maxCheckMessage bytes.
func shortMessage(err error) string {
	msg, _, _ := strings.Cut(err.Error(), "\n")
	if len(msg) > maxCheckMessage {
		msg = strings.ToValidUTF8(msg[:maxCheckMessage], "") + "…"
	}
	return cmp.Or(msg, "failed")
}
