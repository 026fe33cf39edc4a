package events

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/redis/go-redis/v9"

	"github.com/vaultgate/vaultgate/internal/testkit"
)

func ended(st *Stream) bool {
	select {
	case <-st.Done:
		return true
	default:
		return false
	}
}

func TestStreamLimits(t *testing.T) {
	s, _ := newService(t, Options{MaxStreams: 5})
	var alice []*Stream
	for range maxPerUser {
		st, err := s.Subscribe("org_42", "alice")
		if err != nil {
			t.Fatal(err)
		}
		alice = append(alice, st)
	}
	// A fifth stream of the same user ends that user's oldest.
	fifth, err := s.Subscribe("org_42", "alice")
	if err != nil || !ended(alice[0]) || ended(alice[1]) {
		t.Fatalf("fifth: %v, oldest ended %v", err, ended(alice[0]))
	}
	bob, _ := s.Subscribe("org_7", "bob")
	if _, err := s.Subscribe("org_7", "carol"); !errors.Is(err, ErrTooManyStreams) {
		t.Fatalf("sixth stream: %v", err)
	}
	if v := testutil.ToFloat64(s.m.streams); v != 5 {
		t.Errorf("gauge %v", v)
	}
	bob.Close()
	bob.Close() // twice is harmless
	if _, err := s.Subscribe("org_7", "carol"); err != nil {
		t.Fatalf("after a close: %v", err)
	}
	s.Shutdown()
	if !ended(fifth) || !ended(alice[3]) {
		t.Fatal("shutdown left streams open")
	}
	if _, err := s.Subscribe("org_7", "dave"); !errors.Is(err, ErrTooManyStreams) {
		t.Fatalf("after shutdown: %v", err)
	}
	if v := testutil.ToFloat64(s.m.streams); v != 0 {
		t.Errorf("gauge after shutdown %v", v)
	}
}

func TestSlowReaderEndsItsStream(t *testing.T) {
	s, _ := newService(t, Options{})
	slow, _ := s.Subscribe("org_42", "alice")
	next(t, slow) // ready
	for i := range streamBuffer + 1 {
		if ended(slow) {
			t.Fatalf("ended after %d messages", i)
		}
		s.hub.publish("org_42", fmt.Sprint("e", i), View{})
	}
	if !ended(slow) {
		t.Fatal("a stream with 16 undelivered messages stays open")
	}
	if v := testutil.ToFloat64(s.m.streams); v != 0 {
		t.Errorf("gauge %v", v)
	}
}

// TestRedisAcrossReplicas runs two services on one real redis-server: an
// event received by one reaches the other's streams; with Redis gone each
// still serves its own, and after Redis returns streams are told to re-read.
func TestRedisAcrossReplicas(t *testing.T) {
	srv := testkit.StartRedis(t)
	replica := func() *Service {
		client := redis.NewClient(&redis.Options{Addr: srv.Addr(), DialTimeout: 200 * time.Millisecond,
			ReadTimeout: 200 * time.Millisecond, MaxRetries: -1})
		t.Cleanup(func() { _ = client.Close() })
		s, _ := newService(t, Options{Redis: client})
		return s
	}
	a, b := replica(), replica()
	onA, _ := a.Subscribe("org_42", "alice")
	onB, _ := b.Subscribe("org_42", "alice")
	otherOnB, _ := b.Subscribe("org_7", "bob")
	for _, st := range []*Stream{onA, onB, otherOnB} {
		if m := next(t, st); m.Kind != KindReady {
			t.Fatalf("%+v", m)
		}
	}
	send := func(s *Service, id string) {
		t.Helper()
		body := eventBody(id, "callable", "org_42", "crm", "salesforce", time.Now())
		if res, err := receive(s, body, signHex(body)); err != nil || res.Outcome != OutcomeAccepted {
			t.Fatalf("%s: %+v %v", id, res, err)
		}
	}
	send(a, "evt-a1")
	for _, st := range []*Stream{onA, onB} {
		if m := next(t, st); m.ID != "evt-a1" || !strings.Contains(string(m.Data), `"service_id":"salesforce"`) {
			t.Fatalf("%+v", m)
		}
	}
	// Dedupe is shared: B acknowledges A's event without pushing it again.
	body := eventBody("evt-a1", "callable", "org_42", "crm", "salesforce", time.Now())
	if res, _ := receive(b, body, signHex(body)); res.Outcome != OutcomeDuplicate {
		t.Fatalf("%+v", res)
	}
	time.Sleep(100 * time.Millisecond) // room for a wrongly echoed or duplicated message
	quiet(t, onA)
	quiet(t, onB)
	quiet(t, otherOnB)

	srv.Kill()
	send(a, "evt-a2") // dedupe fails open, local delivery goes on
	if m := next(t, onA); m.ID != "evt-a2" {
		t.Fatalf("%+v", m)
	}
	late, _ := b.Subscribe("org_42", "carol") // ready without Redis, after a wait
	if m := next(t, late); m.Kind != KindReady {
		t.Fatalf("%+v", m)
	}

	srv.Restart()
	// Resubscribed: every stream is told to re-read the list.
	for _, st := range []*Stream{onA, onB, late, otherOnB} {
		for {
			if m := next(t, st); m.Kind == KindReady {
				break
			}
		}
	}
	testkit.Eventually(t, "cross-replica delivery after the restart", func() bool {
		send(b, fmt.Sprint("evt-b", time.Now().UnixNano()))
		select {
		case m := <-onA.C:
			return m.Kind == KindConnection
		case <-time.After(200 * time.Millisecond):
			return false
		}
	})
	if v := testutil.ToFloat64(a.m.redisErrors); v == 0 {
		t.Error("Redis failures not counted")
	}
}
