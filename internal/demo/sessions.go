package demo

import (
	"crypto/rand"
	"errors"
	"sync"
	"time"
)

// maxSessions bounds the in-memory session table, so a loop of sign-ins
// cannot grow the process without limit.
const maxSessions = 10_000

// errNoSession is returned for a session id that is unknown or expired. It
// never includes the id: session ids are credentials.
var errNoSession = errors.New("demo session unknown or expired")

// sessionStore is the opaque-cookie sign-in of a classic server-rendered app
// (Rails, Django, Laravel): the cookie holds a random id, and only this
// table knows who it belongs to. vaultgate cannot read such a cookie, so in
// forward mode it asks the app's "who am I" endpoint instead.
type sessionStore struct {
	ttl time.Duration
	now func() time.Time // replaced in tests

	mu       sync.Mutex
	sessions map[string]session
}

type session struct {
	user    User
	expires time.Time
}

// newSessionStore returns an empty store whose sessions last ttl.
func newSessionStore(ttl time.Duration) *sessionStore {
	return &sessionStore{ttl: ttl, now: time.Now, sessions: map[string]session{}}
}

// issue starts a session for u under a fresh random id (128+ bits from
// crypto/rand, so ids cannot be guessed).
func (s *sessionStore) issue(u User) (string, error) {
	id := rand.Text()
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	if len(s.sessions) >= maxSessions {
		s.evictLocked(now)
	}
	s.sessions[id] = session{user: u, expires: now.Add(s.ttl)}
	return id, nil
}

// resolve returns the user of a live session.
func (s *sessionStore) resolve(id string) (User, time.Time, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sess, ok := s.sessions[id]
	if !ok {
		return User{}, time.Time{}, errNoSession
	}
	if !s.now().Before(sess.expires) {
		delete(s.sessions, id)
		return User{}, time.Time{}, errNoSession
	}
	return sess.user, sess.expires, nil
}

// revoke ends a session at once: unlike a JWT, an opaque session can be
// withdrawn server-side, and forward auth sees that on the next request.
func (s *sessionStore) revoke(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.sessions, id)
}

func (*sessionStore) describe() string {
	return "an opaque random session id in an HttpOnly cookie, which vaultgate cannot read: it asks the app's " +
		"“who am I” endpoint instead"
}

func (*sessionStore) authMode() string { return "forward" }

// evictLocked drops expired sessions and, if the table is still full, the
// one closest to expiry. s.mu must be held.
func (s *sessionStore) evictLocked(now time.Time) {
	var oldestID string
	var oldest time.Time
	for id, sess := range s.sessions {
		if !now.Before(sess.expires) {
			delete(s.sessions, id)
			continue
		}
		if oldestID == "" || sess.expires.Before(oldest) {
			oldestID, oldest = id, sess.expires
		}
	}
	if len(s.sessions) >= maxSessions {
		delete(s.sessions, oldestID)
	}
}

// count reports how many sessions are stored, expired ones included.
func (s *sessionStore) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.sessions)
}
