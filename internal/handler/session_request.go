package handler

import (
	"reflect"
	"slices"

	"github.com/vaultgate/vaultgate/internal/auth"
	"github.com/vaultgate/vaultgate/internal/upstream"
)

// sessionRequest builds the body for Apideck from configuration, the
// mapped consumer and the narrowed options: never from the browser's JSON.
// The shared configuration is copied, not aliased, so nothing done to the
// request downstream can change what the next request sends. (The *bool
// settings stay shared: they are never written through.)
func sessionRequest(cfg ConnectConfig, c auth.Consumer, o connectOptions) upstream.SessionRequest {
	settings := cfg.Settings
	// slices.Clone keeps nil as nil and empty as empty: allow_actions
	// omitted versus [] means "all" versus "none".
	settings.AllowActions = slices.Clone(cfg.Settings.AllowActions)
	settings.UnifiedAPIs = slices.Clone(o.unifiedAPIs)

	req := upstream.SessionRequest{
		RedirectURI:            o.redirectURI,
		CustomConsumerSettings: c.CustomSettings, // a fresh map from the mapping
	}
	if !reflect.ValueOf(settings).IsZero() {
		req.Settings = &settings
	}
	if cfg.Theme != nil {
		theme := *cfg.Theme
		req.Theme = &theme
	}
	if c.Metadata != nil {
		md := upstream.ConsumerMetadata(*c.Metadata)
		req.ConsumerMetadata = &md
	}
	return req
}
