package state

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/vaultgate/vaultgate/internal/upstream"
)

// HKDF info strings separate the two keys derived from the API key. Bumping
// the version makes every stored value unreadable, which reads as a miss.
const (
	encryptionInfo = "vaultgate session reuse v1 encryption"
	lookupInfo     = "vaultgate session reuse v1 lookup"
)

// redisStore is a store shared by replicas. Session URIs and tokens are
// bearer credentials, so values are sealed with AES-256-GCM under a key
// derived from the Apideck API key: a Redis dump or a snooping Redis
// operator learns nothing usable, and every replica with the same API key
// can read them. Rotating the API key turns earlier entries into misses.
type redisStore struct {
	client redis.UniversalClient
	prefix string
	aead   cipher.AEAD // random 96-bit nonces, stored before the ciphertext
	lookup []byte      // HMAC key for Redis key names
}

// storedSession is the plaintext sealed into Redis.
type storedSession struct {
	URI       string    `json:"uri"`
	Token     string    `json:"token"`
	CreatedAt time.Time `json:"created_at"`
}

func newRedisStore(client redis.UniversalClient, prefix, apiKey string) (*redisStore, error) {
	encKey, err1 := hkdf.Key(sha256.New, []byte(apiKey), nil, encryptionInfo, 32)
	lookup, err2 := hkdf.Key(sha256.New, []byte(apiKey), nil, lookupInfo, 32)
	if err := errors.Join(err1, err2); err != nil {
		return nil, fmt.Errorf("sessions: derive keys: %w", err)
	}
	block, err := aes.NewCipher(encKey)
	if err != nil {
		return nil, fmt.Errorf("sessions: %w", err)
	}
	aead, err := cipher.NewGCMWithRandomNonce(block)
	if err != nil {
		return nil, fmt.Errorf("sessions: %w", err)
	}
	return &redisStore{client: client, prefix: prefix, aead: aead, lookup: lookup}, nil
}

func (r *redisStore) Get(ctx context.Context, key string) (upstream.Session, bool, error) {
	ctx, cancel := context.WithTimeout(ctx, redisCallTimeout)
	defer cancel()
	rkey := r.redisKey(key)
	sealed, err := r.client.Get(ctx, rkey).Bytes()
	if errors.Is(err, redis.Nil) {
		return upstream.Session{}, false, nil
	}
	if err != nil {
		return upstream.Session{}, false, fmt.Errorf("sessions: redis get: %w", err)
	}
	// A value that does not open (the API key was rotated, the value was
	// tampered with or moved to another key) is a miss, not an error: the
	// caller just creates a new session.
	plain, err := r.aead.Open(nil, nil, sealed, []byte(rkey))
	var st storedSession
	if err != nil || json.Unmarshal(plain, &st) != nil || st.URI == "" || st.Token == "" {
		return upstream.Session{}, false, nil
	}
	return upstream.Session(st), true, nil
}

func (r *redisStore) Set(ctx context.Context, key string, s upstream.Session, ttl time.Duration) error {
	// Redis expiries have millisecond resolution; anything shorter would
	// be gone before it could be reused.
	if ttl < time.Millisecond {
		return nil
	}
	plain, err := json.Marshal(storedSession(s))
	if err != nil {
		return fmt.Errorf("sessions: encode: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, redisCallTimeout)
	defer cancel()
	rkey := r.redisKey(key)
	// The Redis key is the additional data: a value copied under another
	// key does not open.
	if err := r.client.Set(ctx, rkey, r.aead.Seal(nil, nil, plain, []byte(rkey)), ttl).Err(); err != nil {
		return fmt.Errorf("sessions: redis set: %w", err)
	}
	return nil
}

// redisKey names key's entry. key is already a hash of the user, consumer
// and options, but an unkeyed one: anyone able to read Redis could test
// guesses ("does user 42 have a live session?"). The HMAC makes names
// meaningless without the API key.
func (r *redisStore) redisKey(key string) string {
	m := hmac.New(sha256.New, r.lookup)
	m.Write([]byte(key))
	return r.prefix + hex.EncodeToString(m.Sum(nil))
}
