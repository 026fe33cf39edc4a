package upstream

import (
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"time"
)

const (
	// maxBodyBytes bounds every upstream body we read but a list of
	// connections; a session answer is well under a kilobyte.
	maxBodyBytes = 1 << 20
	// maxListBytes bounds a list of connections: every connector the app
	// offers, each with its settings and form fields, which are read only
	// to be dropped.
	maxListBytes = 4 << 20
	// maxIdlePerHost caps pooled idle connections however high
	// APIDECK_MAX_CONCURRENCY is set.
	maxIdlePerHost = 512
	// maxConnectTime bounds dialing and the TLS handshake (each) when the
	// deadline is longer, so a black-holed address leaves time for a retry.
	maxConnectTime = 5 * time.Second
)

// newHTTPClient builds the client's own transport; http.DefaultTransport is
// shared process state and stays untouched.
func newHTTPClient(cfg Config) *http.Client {
	idle := min(cfg.MaxConcurrency, maxIdlePerHost)
	t := &http.Transport{
		Proxy: http.ProxyFromEnvironment, // egress proxies are common where this runs
		DialContext: (&net.Dialer{
			Timeout:   maxConnectTime, // the call's deadline may cut it shorter
			KeepAlive: 30 * time.Second,
		}).DialContext,
		TLSClientConfig:     &tls.Config{MinVersion: tls.VersionTLS12},
		TLSHandshakeTimeout: maxConnectTime,
		// With a custom TLS config and dialer, HTTP/2 must be asked for.
		ForceAttemptHTTP2: true,
		// No ResponseHeaderTimeout: the call's context deadline bounds the
		// whole exchange, and a second timer racing it would report a
		// deadline as a network error.
		ExpectContinueTimeout:  time.Second,
		MaxIdleConns:           idle,
		MaxIdleConnsPerHost:    idle,
		IdleConnTimeout:        90 * time.Second,
		MaxResponseHeaderBytes: 64 << 10,
	}
	var rt http.RoundTripper = t
	if cfg.WrapTransport != nil {
		rt = cfg.WrapTransport(rt)
	}
	return &http.Client{
		Transport: rt,
		// A session endpoint that redirects is misconfigured or hostile;
		// following it would replay the API key to a URL we did not choose
		// (net/http keeps Authorization within the same domain). The 3xx
		// itself is classified as an invalid response.
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

// readBody reads at most limit bytes. A longer body is reported by
// tooLarge and not read further: closing it costs the connection, which is
// cheaper than reading an unbounded stream. size is the announced
// Content-Length (-1 when unknown): net/http holds the body to it, so a body
// that fits is read into one allocation instead of a growing buffer.
func readBody(r io.Reader, size int64, limit int) (body []byte, tooLarge bool, err error) {
	if size >= 0 && size <= int64(limit) {
		body = make([]byte, size)
		if _, err = io.ReadFull(r, body); err != nil {
			return nil, false, err
		}
		return body, false, nil
	}
	body, err = io.ReadAll(io.LimitReader(r, int64(limit)+1))
	if len(body) > limit {
		return nil, true, err
	}
	return body, false, err
}

// transportCause strips *url.Error's method and URL from a transport error:
// the message should name the failure, and a URL does not belong in it.
func transportCause(err error) error {
	if ue, ok := errors.AsType[*url.Error](err); ok {
		return ue.Err
	}
	return err
}
