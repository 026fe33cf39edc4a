package events

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"strings"
	"sync"
	"time"
)

// Signature is a parsed x-apideck-signature: 32 bytes, and how they were written.
type Signature struct {
	mac      []byte
	encoding string // "hex" or "base64", the signature metric's encoding label
}

// ParseSignature reads the x-apideck-signature header values: exactly one
// line of 64 hex digits or 44 characters of padded standard base64. It is
// checked before the body is read, so unsigned floods cost no reading.
func ParseSignature(values []string) (Signature, error) {
	if len(values) != 1 {
		return Signature{}, ErrInvalidSignature
	}
	v := strings.TrimSpace(values[0])
	switch len(v) {
	case hex.EncodedLen(sha256.Size):
		if mac, err := hex.DecodeString(v); err == nil {
			return Signature{mac: mac, encoding: "hex"}, nil
		}
	case base64.StdEncoding.EncodedLen(sha256.Size):
		if mac, err := base64.StdEncoding.Strict().DecodeString(v); err == nil && len(mac) == sha256.Size {
			return Signature{mac: mac, encoding: "base64"}, nil
		}
	}
	return Signature{}, ErrInvalidSignature
}

// verifier checks bodies against signatures, with at most cap(slots) checks at once.
type verifier struct {
	key   []byte
	slots chan struct{}
	wait  time.Duration
}

// verify returns the name of the form whose HMAC equals sig: the raw body
// first, re-serialising only when that fails. It also returns the body
// decoded when it had to decode it.
func (v *verifier) verify(ctx context.Context, body []byte, sig Signature) (string, *parsed, error) {
	t := time.NewTimer(v.wait)
	defer t.Stop()
	select {
	case v.slots <- struct{}{}:
		defer func() { <-v.slots }()
	case <-t.C:
		return "", nil, ErrBusy
	case <-ctx.Done():
		return "", nil, ctx.Err()
	}
	if v.matches(body, sig) {
		return FormRaw, nil, nil
	}
	p, err := parse(body, true)
	if err != nil {
		return "", nil, ErrInvalidSignature // not JSON, or beyond what is re-serialised
	}
	buf := make([]byte, 0, len(body))
	for _, f := range []struct {
		name         string
		sortInArrays bool
	}{{FormSortedExceptArrays, false}, {FormSortedEverywhere, true}} {
		buf = write(buf[:0], p.root, true, f.sortInArrays)
		if v.matches(buf, sig) {
			return f.name, p, nil
		}
	}
	return "", nil, ErrInvalidSignature
}

func (v *verifier) matches(b []byte, sig Signature) bool {
	m := hmac.New(sha256.New, v.key)
	m.Write(b)
	return hmac.Equal(m.Sum(nil), sig.mac)
}

// failures counts each client IP's failed verifications in fixed one-minute
// windows. It tracks at most maxIPs addresses: past that, stale windows are
// dropped, and while none is stale new addresses go uncounted, so a flood
// from many addresses costs bounded memory (each one still gets only 401s).
type failures struct {
	limit, maxIPs int
	window        time.Duration
	mu            sync.Mutex
	ips           map[string]*failWindow
	swept         time.Time // the last full sweep: at most one a second
}

type failWindow struct {
	start time.Time
	count int
}

func newFailures(limit, maxIPs int, window time.Duration) *failures {
	return &failures{limit: limit, maxIPs: maxIPs, window: window, ips: make(map[string]*failWindow)}
}

// blocked reports whether ip has used up its failures, and until when.
func (f *failures) blocked(ip string, now time.Time) (time.Duration, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	w := f.ips[ip]
	if w == nil || now.Sub(w.start) >= f.window || w.count < f.limit {
		return 0, false
	}
	return w.start.Add(f.window).Sub(now), true
}

// add counts one failure of ip.
func (f *failures) add(ip string, now time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	w := f.ips[ip]
	if w != nil && now.Sub(w.start) < f.window {
		w.count++
		return
	}
	if w == nil && len(f.ips) >= f.maxIPs && now.Sub(f.swept) >= time.Second {
		f.swept = now
		for k, old := range f.ips {
			if now.Sub(old.start) >= f.window {
				delete(f.ips, k)
			}
		}
	}
	if w == nil && len(f.ips) >= f.maxIPs {
		return
	}
	f.ips[ip] = &failWindow{start: now, count: 1}
}

// Errors Receive returns; the handler turns each into its problem.
var (
	ErrInvalidSignature = errors.New("webhook signature missing or not matching")
	ErrRateLimited      = errors.New("too many failed webhook verifications from this address")
	ErrTooLarge         = errors.New("webhook body too large")
	ErrInvalid          = errors.New("webhook body is not a usable JSON object")
	ErrBusy             = errors.New("too many webhooks in progress")
	ErrRelayFailed      = errors.New("relaying the event failed")
	ErrTooManyStreams   = errors.New("too many event streams open")
)
