package sessions

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/vaultgate/vaultgate/internal/upstream"
)

const (
	// redisCallTimeout bounds one Get or Set, so a hung Redis delays
	// /connect at most this long before reuse is skipped.
	redisCallTimeout = 250 * time.Millisecond

	// HKDF info strings separate the two keys derived from the API key.
	// Bumping the version makes every stored value unreadable, which the
	// store treats as a miss.
	encryptionInfo = "vaultgate session reuse v1 encryption"
	lookupInfo     = "vaultgate session reuse v1 lookup"
)

// errNoAPIKey refuses to derive keys from nothing.
var errNoAPIKey = errors.New("sessions: the API key is empty; cannot derive the session encryption key")

// Redis is a Store shared by replicas. Session URIs and tokens are bearer
// credentials, so values are sealed with AES-256-GCM under a key derived
// from the Apideck API key: a Redis dump or a snooping Redis operator
// learns nothing usable, and every replica with the same API key can read
// them. Safe for concurrent use.
type Redis struct {
	client redis.UniversalClient
	prefix string
	aead   cipher.AEAD
	lookup []byte // HMAC key for Redis key names
}

// storedSession is the plaintext sealed into Redis.
type storedSession struct {
	URI       string    `json:"uri"`
	Token     string    `json:"token"`
	CreatedAt time.Time `json:"created_at"`
}

// NewRedis returns a Store keeping sessions in Redis under keys starting
// with prefix, encrypted with a key derived from apiKey. Rotating the API
// key makes earlier entries unreadable; they are then misses.
func NewRedis(client redis.UniversalClient, prefix string, apiKey string) (*Redis, error) {
	if apiKey == "" {
		return nil, errNoAPIKey
	}
	ikm := []byte(apiKey)
	encKey, err := hkdf.Key(sha256.New, ikm, nil, encryptionInfo, 32)
	if err != nil {
		return nil, fmt.Errorf("sessions: derive encryption key: %w", err)
	}
	lookupKey, err := hkdf.Key(sha256.New, ikm, nil, lookupInfo, 32)
	if err != nil {
		return nil, fmt.Errorf("sessions: derive lookup key: %w", err)
	}
	block, err := aes.NewCipher(encKey)
	if err != nil {
		return nil, fmt.Errorf("sessions: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("sessions: %w", err)
	}
	return &Redis{client: client, prefix: prefix, aead: aead, lookup: lookupKey}, nil
}

// Get implements Store. A value that does not decrypt (the API key was
// rotated, the value was tampered with or moved to another key) is a miss,
// not an error: the caller just creates a new session.
func (r *Redis) Get(ctx context.Context, key string) (upstream.Session, bool, error) {
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
	s, ok := r.open(rkey, sealed)
	return s, ok, nil
}

// Set implements Store.
func (r *Redis) Set(ctx context.Context, key string, s upstream.Session, ttl time.Duration) error {
	// Redis expiries have millisecond resolution; anything shorter would
	// be gone before it could be reused.
	if ttl < time.Millisecond {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, redisCallTimeout)
	defer cancel()
	rkey := r.redisKey(key)
	sealed, err := r.seal(rkey, s)
	if err != nil {
		return err
	}
	if err := r.client.Set(ctx, rkey, sealed, ttl).Err(); err != nil {
		return fmt.Errorf("sessions: redis set: %w", err)
	}
	return nil
}

// redisKey names key's entry. key is already a hash of the user, consumer
// and options, but an unkeyed one: anyone able to read Redis could test
// guesses ("does user 42 have a live session?"). The HMAC makes names
// meaningless without the API key.
func (r *Redis) redisKey(key string) string {
	m := hmac.New(sha256.New, r.lookup)
	m.Write([]byte(key))
	return r.prefix + hex.EncodeToString(m.Sum(nil))
}

// seal encrypts s as nonce || ciphertext. The Redis key is the additional
// data, so a value copied under another key does not open.
func (r *Redis) seal(rkey string, s upstream.Session) ([]byte, error) {
	plain, err := json.Marshal(storedSession{URI: s.URI, Token: s.Token, CreatedAt: s.CreatedAt})
	if err != nil {
		return nil, fmt.Errorf("sessions: encode: %w", err)
	}
	nonce := make([]byte, r.aead.NonceSize(), r.aead.NonceSize()+len(plain)+r.aead.Overhead())
	// A random 96-bit nonce per value: safe for far more values than a
	// reuse window will ever see under one key.
	_, _ = rand.Read(nonce) // crypto/rand.Read never fails
	return r.aead.Seal(nonce, nonce, plain, []byte(rkey)), nil
}

// open reverses seal; ok is false when the value does not authenticate or
// decode.
func (r *Redis) open(rkey string, sealed []byte) (upstream.Session, bool) {
	n := r.aead.NonceSize()
	if len(sealed) < n+r.aead.Overhead() {
		return upstream.Session{}, false
	}
	plain, err := r.aead.Open(nil, sealed[:n], sealed[n:], []byte(rkey))
	if err != nil {
		return upstream.Session{}, false
	}
	var st storedSession
	if err := json.Unmarshal(plain, &st); err != nil || st.URI == "" || st.Token == "" {
		return upstream.Session{}, false
	}
	return upstream.Session{URI: st.URI, Token: st.Token, CreatedAt: st.CreatedAt}, true
}
