package config

import (
	"strings"
	"time"

	"github.com/vaultgate/vaultgate/internal/events"
)

// Events is the connection events' configuration (see README, Connection
// events): off while WebhookPath is empty.
type Events struct {
	WebhookPath  string
	RelayURL     string
	RelaySecret  Secret // 1–3 space-separated Standard Webhooks secrets
	RelayTimeout time.Duration
	MaxStreams   int
}

// maxRelayTimeout bounds EVENTS_RELAY_TIMEOUT: Apideck waits 60 s for the
// whole delivery, relay included.
const maxRelayTimeout = 30 * time.Second

// parseEvents reads APIDECK_WEBHOOK_PATH and the EVENTS_* variables.
func (p *parser) parseEvents(d Events) Events {
	e := d
	e.WebhookPath = p.str("APIDECK_WEBHOOK_PATH", d.WebhookPath)
	e.RelayURL = p.transportURL("EVENTS_RELAY_URL", urlQuery)
	secret, secretSet := p.secret("EVENTS_RELAY_SECRET")
	e.RelayTimeout = p.duration("EVENTS_RELAY_TIMEOUT", d.RelayTimeout, maxRelayTimeout, true)
	e.MaxStreams = p.integer("EVENTS_MAX_STREAMS", d.MaxStreams, 1, 1_000_000)
	if e.WebhookPath == "" {
		for _, name := range []string{"EVENTS_RELAY_URL", "EVENTS_RELAY_SECRET", "EVENTS_RELAY_SECRET_FILE", "EVENTS_RELAY_TIMEOUT", "EVENTS_MAX_STREAMS"} {
			if p.str(name, "") != "" {
				p.add(name, "is set, but connection events are off: set APIDECK_WEBHOOK_PATH too")
			}
		}
		return d
	}
	switch path := e.WebhookPath; {
	case !strings.HasPrefix(path, "/") || strings.ContainsAny(path, "?#") || strings.ContainsFunc(path, func(r rune) bool { return r <= ' ' || r == 0x7f }):
		p.add("APIDECK_WEBHOOK_PATH", "must be a path starting with / (no query, fragment, spaces or control characters)")
	case path == "/connect" || path == "/connections" || strings.HasPrefix(path, "/connect/") || strings.HasPrefix(path, "/connections/"):
		p.add("APIDECK_WEBHOOK_PATH", "must not be /connect, /connections or under them")
	case path == p.str("VAULT_CALLBACK_PATH", ""):
		p.add("APIDECK_WEBHOOK_PATH", "must differ from VAULT_CALLBACK_PATH")
	}
	switch {
	case e.RelayURL != "" && !secretSet:
		p.add("EVENTS_RELAY_SECRET", "is required with EVENTS_RELAY_URL")
	case e.RelayURL == "" && secretSet && p.str("EVENTS_RELAY_URL", "") == "":
		p.add("EVENTS_RELAY_URL", "is required with EVENTS_RELAY_SECRET")
	case secretSet && !secret.IsZero():
		if _, err := events.ParseRelaySecrets(secret.Reveal()); err != nil {
			p.add("EVENTS_RELAY_SECRET", "%v", err)
		}
	}
	e.RelaySecret = secret
	return e
}
