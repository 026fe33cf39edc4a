// Package consumer maps the claims of an authenticated identity to the
// Apideck consumer a Vault session is created for. It is pure: no I/O, no
// clock, and the inputs are never modified.
package consumer

import (
	"errors"
	"maps"

	"github.com/vaultgate/vaultgate/internal/upstream"
)

// ErrNoConsumer means the identity carries no usable consumer id: the claim
// is missing, has an unsupported type, or does not form a valid id.
var ErrNoConsumer = errors.New("no consumer")

// Mapping says which claims feed the consumer. Build it from configuration
// once; the zero value maps nothing (use the defaults from SPEC §4).
type Mapping struct {
	IDClaim, IDPrefix                                       string         // CONSUMER_ID_CLAIM (default sub), CONSUMER_ID_PREFIX
	AccountNameClaim, UserNameClaim, EmailClaim, ImageClaim string         // defaults org_name, name, email, picture
	SettingsClaim                                           string         // CONSUMER_SETTINGS_CLAIM; empty = none
	BaseSettings                                            map[string]any // VAULT_CUSTOM_CONSUMER_SETTINGS (already parsed); may be nil
}

// Consumer is the result of mapping one identity.
type Consumer struct {
	ID             string
	Metadata       *upstream.ConsumerMetadata // nil when no metadata claim is present
	CustomSettings map[string]any             // BaseSettings merged with the claim's object (shallow, claim wins); nil when both empty
	Warning        string                     // non-empty when SettingsClaim held a non-object (ignored); safe to log, no values
}

// Map turns claims into a Consumer. It returns ErrNoConsumer when the id
// claim is missing or does not yield a valid consumer id. Neither claims nor
// m.BaseSettings are modified; the returned settings map is a fresh copy.
func (m Mapping) Map(claims map[string]any) (Consumer, error) {
	raw, ok := lookup(claims, m.IDClaim)
	if !ok {
		return Consumer{}, ErrNoConsumer
	}
	v, ok := idValue(raw)
	if !ok {
		return Consumer{}, ErrNoConsumer
	}
	id := m.IDPrefix + v
	if !ValidID(id) {
		return Consumer{}, ErrNoConsumer
	}
	c := Consumer{ID: id, Metadata: m.metadata(claims)}
	c.CustomSettings, c.Warning = m.settings(claims)
	return c, nil
}

// metadata collects the string-valued metadata claims; nil when none is set.
func (m Mapping) metadata(claims map[string]any) *upstream.ConsumerMetadata {
	md := upstream.ConsumerMetadata{
		AccountName: stringClaim(claims, m.AccountNameClaim),
		UserName:    stringClaim(claims, m.UserNameClaim),
		Email:       stringClaim(claims, m.EmailClaim),
		Image:       stringClaim(claims, m.ImageClaim),
	}
	if md == (upstream.ConsumerMetadata{}) {
		return nil
	}
	return &md
}

// settings merges the settings claim over the base settings. The warning
// names only the claim, never its value, so it is safe to log.
func (m Mapping) settings(claims map[string]any) (map[string]any, string) {
	var overlay map[string]any
	var warning string
	if m.SettingsClaim != "" {
		if raw, ok := lookup(claims, m.SettingsClaim); ok {
			// A JSON null is not an object either: warn rather than guess
			// what the identity provider meant.
			if obj, isObj := raw.(map[string]any); isObj {
				overlay = obj
			} else {
				warning = "consumer settings claim " + m.SettingsClaim + " is not a JSON object; ignored"
			}
		}
	}
	if len(m.BaseSettings) == 0 && len(overlay) == 0 {
		return nil, warning
	}
	out := make(map[string]any, len(m.BaseSettings)+len(overlay))
	// Shallow copies: nested values are shared, but neither input map is
	// written to, and callers only marshal the result.
	maps.Copy(out, m.BaseSettings)
	maps.Copy(out, overlay)
	return out, warning
}
