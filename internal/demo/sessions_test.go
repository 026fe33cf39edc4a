package demo

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestSessionStoreLifecycle(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	s := newSessionStore(time.Hour)
	s.now = func() time.Time { return now }
	ada, grace := Users()[0], Users()[1]

	idA, err := s.issue(ada)
	if err != nil {
		t.Fatal(err)
	}
	idG, err := s.issue(grace)
	if err != nil {
		t.Fatal(err)
	}
	if idA == idG || len(idA) < 20 {
		t.Fatalf("session ids %q and %q: want distinct, long random ids", idA, idG)
	}
	if _, exp, _ := s.resolve(idA); !exp.Equal(now.Add(time.Hour)) {
		t.Errorf("expiry = %v, want %v", exp, now.Add(time.Hour))
	}

	steps := []struct {
		name   string
		act    func()
		id     string
		wantID string // "" = want errNoSession
	}{
		{"live session", nil, idA, "ada"},
		{"unknown id", nil, "not-a-session", ""},
		{"empty id", nil, "", ""},
		{"revoked", func() { s.revoke(idA) }, idA, ""},
		{"other sessions survive a revoke", nil, idG, "grace"},
		{"last moment", func() { now = now.Add(time.Hour - time.Nanosecond) }, idG, "grace"},
		{"expired", func() { now = now.Add(time.Nanosecond) }, idG, ""},
	}
	for _, st := range steps {
		if st.act != nil {
			st.act()
		}
		u, _, err := s.resolve(st.id)
		switch {
		case st.wantID == "" && !errors.Is(err, errNoSession):
			t.Errorf("%s: resolve = %q, %v; want errNoSession", st.name, u.ID, err)
		case st.wantID != "" && (err != nil || u.ID != st.wantID):
			t.Errorf("%s: resolve = %q, %v; want %q", st.name, u.ID, err, st.wantID)
		}
	}
	if n := s.count(); n != 0 {
		t.Errorf("%d sessions left; revoked and expired ones must be dropped", n)
	}
}

func TestSessionStoreIsBounded(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	s := newSessionStore(time.Hour)
	s.now = func() time.Time { return now }
	first, err := s.issue(Users()[0])
	if err != nil {
		t.Fatal(err)
	}
	for range maxSessions {
		now = now.Add(time.Millisecond)
		if _, err := s.issue(Users()[1]); err != nil {
			t.Fatal(err)
		}
	}
	if n := s.count(); n != maxSessions {
		t.Errorf("%d sessions stored, want the bound %d", n, maxSessions)
	}
	if _, _, err := s.resolve(first); err == nil {
		t.Error("the session closest to expiry was not the one evicted")
	}
}

func TestSessionErrorHoldsNoID(t *testing.T) {
	s := newSessionStore(time.Hour)
	const id = "secret-session-id-123456789"
	if _, _, err := s.resolve(id); err == nil || strings.Contains(err.Error(), id) {
		t.Errorf("resolve error = %v; want an error without the id", err)
	}
}
