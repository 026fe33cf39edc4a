package app

import (
	"bytes"
	"context"
	"encoding/json"

	"github.com/vaultgate/vaultgate/internal/upstream"
)

// sessionBodyCreator gives state the CreateSession(ctx, consumerID, body)
// it needs, while upstream.Client still takes a SessionRequest: it decodes
// the body again. Temporary; it goes once the client sends the body as is.
type sessionBodyCreator struct{ client *upstream.Client }

func (c sessionBodyCreator) CreateSession(ctx context.Context, consumerID string, body []byte) (upstream.Session, upstream.Result, error) {
	var req upstream.SessionRequest
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber() // custom_consumer_settings numbers re-encode verbatim
	if err := dec.Decode(&req); err != nil {
		return upstream.Session{}, upstream.Result{}, &upstream.Error{Kind: upstream.KindRejected, Err: err}
	}
	return c.client.CreateSession(ctx, consumerID, req)
}
