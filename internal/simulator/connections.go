package simulator

import (
	"crypto/rand"
	"errors"
	"maps"
	"net/url"
	"sync"
	"time"
)

// maxConsumers bounds the consumers whose connections are kept; beyond it
// the consumer changed least recently is forgotten.
const maxConsumers = 10_000

// Errors of Connect, Disconnect and SendEvent.
var (
	ErrUnknownConnector = errors.New("simulator: no such connector in the catalogue")
	ErrNotConnected     = errors.New("simulator: the consumer has no such connection")
)

// link is a consumer's connection to one connector.
type link struct{ created, updated time.Time }

// consumerKey identifies a consumer: Apideck keeps consumers per application.
type consumerKey struct{ app, consumer string }

type consumerLinks struct {
	links   map[string]link // by connection id
	touched uint64          // store.clock when last changed
}

// store holds every consumer's connections in memory.
type store struct {
	mu        sync.Mutex
	clock     uint64
	consumers map[consumerKey]*consumerLinks
}

// connect makes c callable for k and reports whether it was new.
func (st *store) connect(k consumerKey, c Connector, now time.Time) (link, bool) {
	st.mu.Lock()
	defer st.mu.Unlock()
	cl := st.consumers[k]
	if cl == nil {
		if len(st.consumers) >= maxConsumers {
			st.evictOldest()
		}
		cl = &consumerLinks{links: map[string]link{}}
		st.consumers[k] = cl
	}
	st.clock++
	cl.touched = st.clock
	l, existed := cl.links[c.ID()]
	if !existed {
		l.created = now
	}
	l.updated = now
	cl.links[c.ID()] = l
	return l, !existed
}

// disconnect forgets k's connection to c and reports whether there was one.
func (st *store) disconnect(k consumerKey, c Connector) bool {
	st.mu.Lock()
	defer st.mu.Unlock()
	cl := st.consumers[k]
	if cl == nil {
		return false
	}
	if _, ok := cl.links[c.ID()]; !ok {
		return false
	}
	delete(cl.links, c.ID())
	if len(cl.links) == 0 {
		delete(st.consumers, k)
	}
	return true
}

// links returns a copy of k's connections by connection id.
func (st *store) links(k consumerKey) map[string]link {
	st.mu.Lock()
	defer st.mu.Unlock()
	if cl := st.consumers[k]; cl != nil {
		return maps.Clone(cl.links)
	}
	return map[string]link{}
}

func (st *store) evictOldest() {
	var oldest consumerKey
	first := true
	for k, cl := range st.consumers {
		if first || cl.touched < st.consumers[oldest].touched {
			oldest, first = k, false
		}
	}
	delete(st.consumers, oldest)
}

// Connect does what pressing Connect on the simulated Vault page does: the
// consumer's connection becomes callable (created_at set the first time,
// updated_at every time) and, with a webhook URL, the events Apideck sends
// are queued: created, updated, callable for a new connection; updated,
// callable for an existing one (a re-authorisation).
func (s *Simulator) Connect(consumerID, unifiedAPI, serviceID string) error {
	c, ok := lookupConnector(unifiedAPI, serviceID)
	if !ok {
		return ErrUnknownConnector
	}
	l, created := s.store.connect(consumerKey{s.appID, consumerID}, c, time.Now())
	stages := []string{"updated", "callable"}
	if created {
		stages = []string{"created", "updated", "callable"}
	}
	for _, stage := range stages {
		s.hooks.enqueue(s.newEvent(consumerID, c, &l, "vault.connection."+stage))
	}
	return nil
}

// Disconnect does what pressing Disconnect on the simulated Vault page (or
// DELETE /vault/connections/…) does: the connector becomes available again
// and, with a webhook URL, vault.connection.deleted is queued.
func (s *Simulator) Disconnect(consumerID, unifiedAPI, serviceID string) error {
	c, ok := lookupConnector(unifiedAPI, serviceID)
	if !ok {
		return ErrUnknownConnector
	}
	if !s.store.disconnect(consumerKey{s.appID, consumerID}, c) {
		return ErrNotConnected
	}
	s.hooks.enqueue(s.newEvent(consumerID, c, nil, "vault.connection.deleted"))
	return nil
}

// connectionView is one Connection in Apideck's schema, timestamps in Unix
// milliseconds. l is nil for a connector the consumer has not connected.
// Every field a browser must never see is filled in with plausible values,
// so a client's filter is really exercised.
func (s *Simulator) connectionView(c Connector, l *link, state string) map[string]any {
	m := map[string]any{
		"id": c.ID(), "service_id": c.ServiceID, "unified_api": c.UnifiedAPI, "name": c.Name,
		"tag_line": c.TagLine, "website": c.Website, "icon": c.Icon(), "logo": c.Logo(),
		"auth_type": c.AuthType, "status": "live", "integration_state": "configured",
		"state": "available", "enabled": false, "health": "needs_auth",
		"created_at": nil, "updated_at": nil, "credentials_expire_at": nil, "last_refresh_failed_at": nil,
		"has_guide": true, "schema_support": false, "validation_support": true,
		"configurable_resources":              []string{"contacts", "companies"},
		"resource_schema_support":             []string{"contacts"},
		"resource_settings_support":           []string{"contacts"},
		"settings_required_for_authorization": []string{},
		"authorize_url":                       s.oauthURL("authorize", c),
		"revoke_url":                          s.oauthURL("revoke", c),
		"settings":                            map[string]any{},
		"metadata":                            map[string]any{},
		"form_fields": []any{map[string]any{
			"id": "instance_url", "label": "Instance URL", "type": "text", "required": true,
			"sensitive": false, "disabled": false, "placeholder": "https://acme." + c.ServiceID + ".example",
		}, map[string]any{
			"id": "api_key", "label": "API key", "type": "password", "required": c.AuthType != "oauth2",
			"sensitive": true, "disabled": false,
		}},
		"configuration": []any{map[string]any{
			"resource": "contacts",
			"defaults": []any{map[string]any{"id": "owner_id", "target": "custom_fields", "value": "usr_4711", "options": []any{}}},
		}},
		"custom_mappings":         []any{},
		"subscriptions":           []any{},
		"consents":                []any{},
		"latest_consent":          nil,
		"consent_state":           "implicit",
		"application_data_scopes": map[string]any{"enabled": false},
	}
	if c.AuthType == "oauth2" {
		m["oauth_grant_type"] = "authorization_code"
	}
	if l == nil {
		return m
	}
	created, updated := l.created.UnixMilli(), l.updated.UnixMilli()
	m["state"], m["enabled"], m["health"] = state, true, "ok"
	m["created_at"], m["updated_at"] = created, updated
	if c.AuthType == "oauth2" {
		m["credentials_expire_at"] = l.updated.Add(time.Hour).UnixMilli()
	}
	m["settings"] = map[string]any{
		"instance_url": "https://acme." + c.ServiceID + ".example",
		"api_key":      "sim_secret_" + rand.Text(),
	}
	m["metadata"] = map[string]any{"account": map[string]any{"id": "acc_" + c.ServiceID, "name": "Acme Inc"}, "plan": "enterprise"}
	m["custom_mappings"] = []any{map[string]any{
		"id": c.ID() + "+contacts+tier", "label": "Tier", "description": "Customer tier",
		"key": "tier", "value": "$.Tier__c", "required": false, "custom_field": true,
	}}
	m["subscriptions"] = []any{map[string]any{
		"downstream_id": "sub_" + c.ServiceID, "unify_event_types": []string{c.UnifiedAPI + ".contact.created"},
		"downstream_event_types": []string{"contact.created"}, "execute_url": "https://unify.apideck.com/webhook/" + rand.Text(),
		"created_at": l.created.UTC().Format(isoMillis),
	}}
	consent := map[string]any{"id": "consent_" + c.ServiceID, "created_at": l.created.UTC().Format(isoMillis),
		"granted": true, "resources": map[string]any{"contacts": []string{"read", "write"}}}
	m["consents"], m["latest_consent"] = []any{consent}, consent
	m["application_data_scopes"] = map[string]any{"enabled": true, "updated_at": l.updated.UTC().Format(isoMillis),
		"resources": map[string]any{"contacts": map[string]any{"read": true, "write": true}}}
	return m
}

// oauthURL imitates Apideck's authorize and revoke URLs, which carry a
// state token for this consumer.
func (s *Simulator) oauthURL(kind string, c Connector) string {
	return "https://unify.apideck.com/vault/" + kind + "/" + c.ServiceID + "/" + url.PathEscape(s.appID) +
		"?state=" + rand.Text() + rand.Text()
}

// isoMillis is how Apideck writes timestamps in webhook entities.
const isoMillis = "2006-01-02T15:04:05.000Z07:00"
