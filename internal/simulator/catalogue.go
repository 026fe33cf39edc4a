package simulator

import (
	"encoding/base64"
	"fmt"
	"html/template"
	"slices"
)

// Connector is one integration in the simulator's catalogue: what an
// application has configured at Apideck and its consumers can connect.
type Connector struct {
	UnifiedAPI string
	ServiceID  string
	Name       string
	TagLine    string
	Website    string
	AuthType   string // oauth2, apiKey or basic
	Color      string // brand colour of the icon and logo
}

// Service ids of the catalogue, so tests and the demo can name connectors.
const (
	Salesforce  = "salesforce"
	HubSpot     = "hubspot"
	Pipedrive   = "pipedrive"
	QuickBooks  = "quickbooks"
	Xero        = "xero"
	GoogleDrive = "google-drive"
)

// Connectors returns the catalogue ordered by unified API, then name: the
// order of Apideck's list and of the simulated Vault page.
func Connectors() []Connector {
	return []Connector{
		{"accounting", QuickBooks, "QuickBooks", "Accounting software for small businesses", "https://quickbooks.intuit.com", "oauth2", "#2ca01c"},
		{"accounting", Xero, "Xero", "Beautiful accounting software", "https://www.xero.com", "oauth2", "#13b5ea"},
		{"crm", HubSpot, "HubSpot", "Grow better with HubSpot", "https://www.hubspot.com", "oauth2", "#ff7a59"},
		{"crm", Pipedrive, "Pipedrive", "The CRM designed by salespeople", "https://www.pipedrive.com", "apiKey", "#1a1a1a"},
		{"crm", Salesforce, "Salesforce", "The world's #1 CRM", "https://www.salesforce.com", "oauth2", "#00a1e0"},
		{"file-storage", GoogleDrive, "Google Drive", "Cloud storage from Google", "https://www.google.com/drive", "oauth2", "#1fa463"},
	}
}

// lookupConnector finds a connector of the catalogue.
func lookupConnector(unifiedAPI, serviceID string) (Connector, bool) {
	all := Connectors()
	i := slices.IndexFunc(all, func(c Connector) bool { return c.UnifiedAPI == unifiedAPI && c.ServiceID == serviceID })
	if i < 0 {
		return Connector{}, false
	}
	return all[i], true
}

// ID is Apideck's connection id, "<unified_api>+<service_id>".
func (c Connector) ID() string { return c.UnifiedAPI + "+" + c.ServiceID }

// Icon is a square SVG with the name's initial, as a data URL so that
// nothing is fetched from the network.
func (c Connector) Icon() string {
	return svgURL(64, fmt.Sprintf(`<rect width="64" height="64" rx="12" fill="%s"/>`+
		`<text x="32" y="43" font-family="sans-serif" font-size="30" font-weight="700" text-anchor="middle" fill="#fff">%s</text>`,
		c.Color, template.HTMLEscapeString(c.Name[:1])))
}

// Logo is a wide SVG with the whole name, as a data URL.
func (c Connector) Logo() string {
	return svgURL(200, fmt.Sprintf(`<rect width="200" height="64" rx="12" fill="%s"/>`+
		`<text x="100" y="41" font-family="sans-serif" font-size="22" font-weight="700" text-anchor="middle" fill="#fff">%s</text>`,
		c.Color, template.HTMLEscapeString(c.Name)))
}

func svgURL(width int, inner string) string {
	svg := fmt.Sprintf(`<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="64" viewBox="0 0 %d 64">%s</svg>`, width, width, inner)
	return "data:image/svg+xml;base64," + base64.StdEncoding.EncodeToString([]byte(svg))
}
