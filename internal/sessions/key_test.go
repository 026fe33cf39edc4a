package sessions

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"testing"

	"github.com/vaultgate/vaultgate/internal/upstream"
)

// TestKeyIsStable pins the key format: replicas of different versions
// share reuse entries in Redis only while they compute the same keys.
func TestKeyIsStable(t *testing.T) {
	yes := true
	reqs := []upstream.SessionRequest{
		{},
		{RedirectURI: "https://app.example.com/done", Settings: &upstream.Settings{UnifiedAPIs: []string{"crm"}, SandboxMode: &yes}},
		{ConsumerMetadata: &upstream.ConsumerMetadata{Email: "a@b.test"}, CustomConsumerSettings: map[string]any{"tax": 19}},
	}
	for _, req := range reqs {
		got := Key("user-1", "org_1", marshal(t, req))
		if want := streamedKey(t, "user-1", "org_1", req); got != want {
			t.Errorf("Key = %s, want %s", got, want)
		}
	}
	got := Key("user-1", "org_1", marshal(t, reqs[1]))
	// Computed with the reflection-based encoding the key was first defined with.
	const golden = "9668928ff34b11faa69c68d1e3f963652bb532ba0ac5d9f053bd63f8744284ed"
	if got != golden {
		t.Errorf("Key changed: %s, pinned %s", got, golden)
	}
}

// streamedKey is the key as first defined: the hash of each part behind
// its 4-byte big-endian length, the request as encoding/json writes it.
func streamedKey(t *testing.T, subject, consumerID string, req upstream.SessionRequest) string {
	t.Helper()
	body := marshal(t, req)
	h := sha256.New()
	for _, part := range [][]byte{[]byte(subject), []byte(consumerID), body} {
		h.Write([]byte{byte(len(part) >> 24), byte(len(part) >> 16), byte(len(part) >> 8), byte(len(part))})
		h.Write(part)
	}
	return hex.EncodeToString(h.Sum(nil))
}

func marshal(t *testing.T, req upstream.SessionRequest) []byte {
	t.Helper()
	body, err := json.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	return body
}
