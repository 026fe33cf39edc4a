package upstream

import (
	"encoding/json"

	"github.com/vaultgate/vaultgate/internal/jsonenc"
)

// MarshalJSON encodes the session request without reflecting over its
// fields: it runs for every /connect (for the coalescing key and as the
// body sent), and its shape is fixed. The output is byte for byte what
// encoding/json produces for these types; a test fills every field, by
// reflection, to hold it to that. Only custom_consumer_settings, a
// free-form object, goes through encoding/json.
func (r SessionRequest) MarshalJSON() ([]byte, error) {
	return r.appendJSON(make([]byte, 0, 384))
}

func (r SessionRequest) appendJSON(b []byte) ([]byte, error) {
	o := object{b: append(b, '{')}
	if m := r.ConsumerMetadata; m != nil {
		o.key("consumer_metadata")
		o.open()
		o.str("account_name", m.AccountName)
		o.str("user_name", m.UserName)
		o.str("email", m.Email)
		o.str("image", m.Image)
		o.close()
	}
	o.str("redirect_uri", r.RedirectURI)
	if s := r.Settings; s != nil {
		o.key("settings")
		o.open()
		o.strs("unified_apis", s.UnifiedAPIs, false)
		o.boolean("hide_resource_settings", s.HideResourceSettings)
		o.boolean("sandbox_mode", s.SandboxMode)
		o.boolean("isolation_mode", s.IsolationMode)
		o.boolean("show_logs", s.ShowLogs)
		o.boolean("show_suggestions", s.ShowSuggestions)
		o.boolean("show_sidebar", s.ShowSidebar)
		o.boolean("auto_redirect", s.AutoRedirect)
		o.boolean("hide_guides", s.HideGuides)
		o.strs("allow_actions", s.AllowActions, true)
		o.str("session_length", s.SessionLength)
		o.close()
	}
	if t := r.Theme; t != nil {
		o.key("theme")
		o.open()
		o.str("favicon", t.Favicon)
		o.str("logo", t.Logo)
		o.str("primary_color", t.PrimaryColor)
		o.str("sidepanel_background_color", t.SidepanelBackgroundColor)
		o.str("sidepanel_text_color", t.SidepanelTextColor)
		o.str("vault_name", t.VaultName)
		o.str("privacy_url", t.PrivacyURL)
		o.str("terms_url", t.TermsURL)
		o.close()
	}
	if len(r.CustomConsumerSettings) > 0 {
		v, err := json.Marshal(r.CustomConsumerSettings)
		if err != nil {
			return nil, err
		}
		o.key("custom_consumer_settings")
		o.b = append(o.b, v...)
	}
	return append(o.b, '}'), nil
}

// object appends the members of a JSON object and of the objects nested
// in it (one level deep here), tracking whether a comma is due.
type object struct {
	b      []byte
	depth  int
	filled [2]bool // whether the object open at each depth has a member yet
}

func (o *object) key(name string) {
	if o.filled[o.depth] {
		o.b = append(o.b, ',')
	}
	o.filled[o.depth] = true
	o.b = append(o.b, '"')
	o.b = append(o.b, name...) // member names are plain ASCII
	o.b = append(o.b, '"', ':')
}

func (o *object) open() {
	o.b = append(o.b, '{')
	o.depth++
	o.filled[o.depth] = false
}

func (o *object) close() {
	o.b = append(o.b, '}')
	o.depth--
}

// str appends a string member unless it is empty (omitempty).
func (o *object) str(name, v string) {
	if v == "" {
		return
	}
	o.key(name)
	o.b = jsonenc.AppendString(o.b, v)
}

// strs appends a string array member. With omitzero only nil is left out
// (an empty list is sent as []); otherwise empty lists are too (omitempty).
func (o *object) strs(name string, v []string, omitzero bool) {
	if v == nil || (!omitzero && len(v) == 0) {
		return
	}
	o.key(name)
	o.b = append(o.b, '[')
	for i, s := range v {
		if i > 0 {
			o.b = append(o.b, ',')
		}
		o.b = jsonenc.AppendString(o.b, s)
	}
	o.b = append(o.b, ']')
}

// boolean appends a *bool member unless it is nil (omitempty).
func (o *object) boolean(name string, v *bool) {
	if v == nil {
		return
	}
	o.key(name)
	if *v {
		o.b = append(o.b, "true"...)
	} else {
		o.b = append(o.b, "false"...)
	}
}
