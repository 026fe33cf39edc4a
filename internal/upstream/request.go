package upstream

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// parseEndpoint parses, once, the URL every session request goes to.
func parseEndpoint(baseURL string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimRight(baseURL, "/") + "/vault/sessions")
	if err != nil {
		return nil, err
	}
	// As http.NewRequest does: "host:" means the scheme's default port.
	u.Host = strings.TrimSuffix(u.Host, ":")
	return u, nil
}

// newRequest is what http.NewRequestWithContext(ctx, "POST", endpoint,
// bytes.NewReader(body)) builds, from the endpoint parsed once in New and
// the header template instead of parsing and canonicalising per call.
func (c *Client) newRequest(ctx context.Context, consumerID string, body []byte) *http.Request {
	u := *c.endpoint
	req := &http.Request{
		Method:        http.MethodPost,
		URL:           &u,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        requestHeader(c.header, consumerID),
		Body:          io.NopCloser(bytes.NewReader(body)),
		GetBody:       func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil },
		ContentLength: int64(len(body)),
		Host:          u.Host,
	}
	return req.WithContext(ctx)
}

// headerConsumerID is the one request header that differs between calls.
const headerConsumerID = "X-Apideck-Consumer-Id"

// newHeaderTemplate builds, once, the headers every session request
// carries, in canonical form: per call only a copy is made and the consumer
// id filled in, instead of rebuilding "Bearer <key>" and canonicalising
// every name again. The template holds the API key; it only ever becomes a
// request's header, never a log field.
func newHeaderTemplate(cfg Config) http.Header {
	return http.Header{
		"Authorization":    {"Bearer " + cfg.APIKey},
		"X-Apideck-App-Id": {cfg.AppID},
		headerConsumerID:   {""},
		"Content-Type":     {"application/json"},
		"Accept":           {"application/json"},
		"User-Agent":       {userAgent},
	}
}

// requestHeader returns a fresh copy of the template for consumerID.
func requestHeader(template http.Header, consumerID string) http.Header {
	h := template.Clone()
	// Clone copies every value into one new backing array, so writing in
	// place never touches the template (and saves allocating a slice).
	h[headerConsumerID][0] = consumerID
	return h
}
