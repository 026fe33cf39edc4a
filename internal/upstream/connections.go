package upstream

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// Values of the operation label of the upstream metrics: one per call.
const (
	opCreateSession    = "create_session"
	opListConnections  = "list_connections"
	opGetConnection    = "get_connection"
	opDeleteConnection = "delete_connection"
)

// Connection is what a browser may see of one of a consumer's connections
// at Apideck. Only these members are ever decoded: authorize_url,
// settings, form_fields and the rest of Apideck's object (state tokens,
// credentials, the app's OAuth configuration) are dropped as they are read,
// so no later code can pass them on. Empty strings and zero times were
// absent or null.
type Connection struct {
	ID         string `json:"id"`
	UnifiedAPI string `json:"unified_api"`
	ServiceID  string `json:"service_id"`
	Name       string `json:"name"`
	TagLine    string `json:"tag_line"`
	Website    string `json:"website"`
	Icon       string `json:"icon"`
	Logo       string `json:"logo"`
	AuthType   string `json:"auth_type"`
	State      string `json:"state"`
	Health     string `json:"health"`
	Enabled    *bool  `json:"enabled"`
	CreatedAt  Millis `json:"created_at"`
	UpdatedAt  Millis `json:"updated_at"`
}

// Millis is an instant Apideck sends as Unix milliseconds. Its zero value
// means absent or null.
type Millis struct{ time.Time }

// maxMillis is the start of year 10000, past which RFC 3339 has no form.
const maxMillis = 253402300800000

var errBadTime = errors.New("timestamp is not Unix milliseconds")

// UnmarshalJSON reads a number of milliseconds (fractions dropped) or
// null; anything else is an error.
func (m *Millis) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*m = Millis{}
		return nil
	}
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil || !(f >= 0 && f < maxMillis) {
		return errBadTime
	}
	*m = Millis{time.UnixMilli(int64(f)).UTC()}
	return nil
}

// The messages are fixed: a json error quotes the body.
var (
	errNoConnections = errors.New("success body has no list of connections")
	errNoConnection  = errors.New("success body has no usable connection")
)

// ListConnections GETs {BaseURL}/vault/connections for consumerID, scoped
// to one unified API when api is not empty. A connection Apideck sends in a
// shape that cannot be read is left out of the list (and counted in
// Result.Dropped), so one odd connector does not hide the others.
func (c *Client) ListConnections(ctx context.Context, consumerID, api string) ([]Connection, Result, error) {
	path := "/vault/connections"
	if api != "" {
		path += "?" + url.Values{"api": {api}}.Encode()
	}
	var list []Connection
	var dropped int
	res, err := c.do(ctx, consumerID, call{
		operation: opListConnections, method: http.MethodGet, path: path,
		retry: true, maxBody: maxListBytes,
		parse: func(data []byte) error {
			var answer struct {
				Data []json.RawMessage `json:"data"`
			}
			if json.Unmarshal(data, &answer) != nil || answer.Data == nil {
				return errNoConnections
			}
			list, dropped = make([]Connection, 0, len(answer.Data)), 0
			for _, raw := range answer.Data {
				var conn Connection
				if decodeConnection(raw, &conn) != nil {
					dropped++
					continue
				}
				list = append(list, conn)
			}
			return nil
		},
	})
	res.Dropped = dropped
	if err != nil {
		return nil, res, err
	}
	return list, res, nil
}

// GetConnection GETs {BaseURL}/vault/connections/{unifiedAPI}/{serviceID}
// for consumerID. When Apideck has none, the error's Kind is KindNotFound.
func (c *Client) GetConnection(ctx context.Context, consumerID, unifiedAPI, serviceID string) (Connection, Result, error) {
	var conn Connection
	res, err := c.do(ctx, consumerID, call{
		operation: opGetConnection, method: http.MethodGet, path: connectionPath(unifiedAPI, serviceID),
		retry: true, notFound: true, maxBody: maxBodyBytes,
		parse: func(data []byte) error {
			var answer struct {
				Data json.RawMessage `json:"data"`
			}
			if json.Unmarshal(data, &answer) != nil || decodeConnection(answer.Data, &conn) != nil {
				return errNoConnection
			}
			return nil
		},
	})
	if err != nil {
		return Connection{}, res, err
	}
	return conn, res, nil
}

// DeleteConnection DELETEs {BaseURL}/vault/connections/{unifiedAPI}/{serviceID}
// for consumerID. It is never retried: an attempt that failed without an
// answer may have deleted it. When Apideck has none, the error's Kind is
// KindNotFound.
func (c *Client) DeleteConnection(ctx context.Context, consumerID, unifiedAPI, serviceID string) (Result, error) {
	return c.do(ctx, consumerID, call{
		operation: opDeleteConnection, method: http.MethodDelete, path: connectionPath(unifiedAPI, serviceID),
		notFound: true, maxBody: maxBodyBytes,
		parse: func([]byte) error { return nil }, // 204, or any 2xx: done
	})
}

// connectionPath is the path of one connection, its segments escaped.
func connectionPath(unifiedAPI, serviceID string) string {
	return "/vault/connections/" + url.PathEscape(unifiedAPI) + "/" + url.PathEscape(serviceID)
}

// decodeConnection reads one JSON object into conn, which must name a
// unified API and a connector.
func decodeConnection(raw json.RawMessage, conn *Connection) error {
	if len(bytes.TrimSpace(raw)) == 0 || raw[0] != '{' {
		return errNoConnection
	}
	if err := json.Unmarshal(raw, conn); err != nil {
		return err
	}
	if conn.UnifiedAPI == "" || conn.ServiceID == "" {
		return errNoConnection
	}
	return nil
}
