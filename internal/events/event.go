package events

import (
	"crypto/sha256"
	"encoding/hex"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"
)

// Only the signed payload decides what an event is: the x-apideck-*
// headers beside the signature are never trusted.

// event is what a verified body says about itself.
type event struct {
	id         string // the webhook-id: dedupe key, SSE id and relay header
	eventType  string
	consumerID string // payload.entity.consumer_id
	occurredAt time.Time
	attempt    float64 // payload.execution_attempt; 0 when absent
	hasPayload bool
	view       View
}

// View is what a stream learns of a connection event: exactly these
// members, each left out when the entity lacks it.
type View struct {
	UnifiedAPI string `json:"unified_api,omitempty"`
	ServiceID  string `json:"service_id,omitempty"`
	State      string `json:"state,omitempty"`
	EventType  string `json:"event_type,omitempty"`
	OccurredAt string `json:"occurred_at,omitempty"`
}

var (
	eventIDPattern   = regexp.MustCompile(`^[A-Za-z0-9_-]{1,128}$`)
	serviceIDPattern = regexp.MustCompile(`^[a-z0-9-]{1,64}$`)
)

// readEvent takes what it needs from a decoded body (a JSON object),
// whatever its shape: members of another type count as absent.
func readEvent(root *node, body []byte) event {
	payload := root.member("payload")
	e := event{hasPayload: payload != nil}
	if id, ok := payload.member("event_id").string(); ok && eventIDPattern.MatchString(id) {
		e.id = id
	} else {
		// Stable across redeliveries of the same bytes.
		sum := sha256.Sum256(body)
		e.id = "evt_" + hex.EncodeToString(sum[:16])
	}
	e.eventType, _ = payload.member("event_type").string()
	if s, ok := payload.member("occurred_at").string(); ok {
		e.occurredAt, _ = time.Parse(time.RFC3339Nano, s)
	}
	if n := payload.member("execution_attempt"); n != nil && n.kind == 'v' {
		e.attempt, _ = strconv.ParseFloat(string(n.text), 64)
	}
	entity := payload.member("entity")
	e.consumerID, _ = entity.member("consumer_id").string()
	e.view.UnifiedAPI, _ = entity.member("unified_api").string()
	e.view.ServiceID, _ = entity.member("service_id").string()
	e.view.State, _ = entity.member("state").string()
	e.view.EventType = e.eventType
	if !e.occurredAt.IsZero() {
		e.view.OccurredAt = e.occurredAt.UTC().Format(time.RFC3339)
	}
	return e
}

// stale reports an event outside the window Apideck still delivers in.
func (e event) stale(now time.Time) bool {
	return !e.occurredAt.IsZero() && (now.Sub(e.occurredAt) > dedupeTTL || e.occurredAt.Sub(now) > maxAhead)
}

// pushable reports whether e goes to the consumer's streams: a connection
// event for a unified API on offer, naming its consumer and connector.
func (e event) pushable(offered func(string) bool) bool {
	return strings.HasPrefix(e.eventType, "vault.connection.") && e.consumerID != "" &&
		offered(e.view.UnifiedAPI) && serviceIDPattern.MatchString(e.view.ServiceID)
}

// member is an object's value for key; nil when n is no object or lacks it.
func (n *node) member(key string) *node {
	if n == nil || n.kind != '{' {
		return nil
	}
	k := utf16.Encode([]rune(key))
	for i, have := range n.keys {
		if slices.Equal(have, k) {
			return n.elems[i]
		}
	}
	return nil
}

// string is n's value when n is a string.
func (n *node) string() (string, bool) {
	if n == nil || n.kind != '"' {
		return "", false
	}
	return string(utf16.Decode(n.str)), true
}
