package events

import (
	"encoding/json"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

const (
	// maxPerUser is how many streams one user may hold in one process; a
	// further one ends that user's oldest (a forgotten tab).
	maxPerUser = 4
	// streamBuffer is how many messages may wait for a slow reader before
	// its stream is ended: the page re-reads the list when it reconnects.
	streamBuffer = 16
	// readyWait is how long a new stream waits for Redis to confirm its
	// subscription before it is told it is ready anyway, with this
	// replica's events only.
	readyWait = time.Second
)

// Message kinds, the SSE event names.
const (
	KindReady      = "ready"
	KindConnection = "connection"
)

// Message is one SSE message for a stream.
type Message struct {
	Kind string
	ID   string // the webhook-id; empty for ready
	Data []byte // JSON
}

// Stream is one open /connections/events stream.
type Stream struct {
	// C delivers the stream's messages; Done is closed when the hub ends it
	// (overflow, a newer stream of the same user, shutdown).
	C        <-chan Message
	Done     <-chan struct{}
	c        chan Message
	done     chan struct{}
	h        *hub
	consumer string
	user     string
	ready    bool // guarded by h.mu
}

// Close ends s; the handler calls it when the client has gone.
func (s *Stream) Close() { s.h.end(s) }

// hub delivers messages to this process's streams and, with Redis, to
// other replicas' through the remote (nil without Redis).
type hub struct {
	mu         sync.Mutex
	max        int
	open       int
	closed     bool
	byConsumer map[string]map[*Stream]struct{}
	byUser     map[string][]*Stream // oldest first
	remote     *remote
	streams    prometheus.Gauge
	pushed     prometheus.Counter
}

func newHub(max int, streams prometheus.Gauge, pushed prometheus.Counter) *hub {
	return &hub{max: max, byConsumer: make(map[string]map[*Stream]struct{}),
		byUser: make(map[string][]*Stream), streams: streams, pushed: pushed}
}

// subscribe opens a stream of consumer's events for user.
func (h *hub) subscribe(consumer, user string) (*Stream, error) {
	h.mu.Lock()
	if h.closed || h.open >= h.max {
		h.mu.Unlock()
		return nil, ErrTooManyStreams
	}
	var oldest *Stream
	if l := h.byUser[user]; len(l) >= maxPerUser {
		oldest = l[0]
		h.removeLocked(oldest)
	}
	s := &Stream{c: make(chan Message, streamBuffer), done: make(chan struct{}), h: h, consumer: consumer, user: user}
	s.C, s.Done = s.c, s.done
	h.open++
	h.streams.Inc()
	h.byUser[user] = append(h.byUser[user], s)
	set := h.byConsumer[consumer]
	first := set == nil
	if first {
		set = make(map[*Stream]struct{})
		h.byConsumer[consumer] = set
	}
	set[s] = struct{}{}
	if h.remote == nil || h.remote.isConfirmed(consumer) {
		h.readyLocked(s)
	} else {
		time.AfterFunc(readyWait, func() { h.readyIfWaiting(s) })
	}
	h.mu.Unlock()
	if oldest != nil {
		close(oldest.done)
	}
	if first && h.remote != nil {
		go h.remote.sync(consumer)
	}
	return s, nil
}

// end removes s, if still open, and closes its Done.
func (h *hub) end(s *Stream) {
	h.mu.Lock()
	ok := h.removeLocked(s)
	last := ok && h.byConsumer[s.consumer] == nil
	h.mu.Unlock()
	if ok {
		close(s.done)
	}
	if last && h.remote != nil {
		go h.remote.sync(s.consumer)
	}
}

// removeLocked forgets s and reports whether it was open.
func (h *hub) removeLocked(s *Stream) bool {
	set := h.byConsumer[s.consumer]
	if _, ok := set[s]; !ok {
		return false
	}
	delete(set, s)
	if len(set) == 0 {
		delete(h.byConsumer, s.consumer)
	}
	l := h.byUser[s.user]
	for i, o := range l {
		if o == s {
			l = append(l[:i:i], l[i+1:]...)
			break
		}
	}
	if len(l) == 0 {
		delete(h.byUser, s.user)
	} else {
		h.byUser[s.user] = l
	}
	h.open--
	h.streams.Dec()
	return true
}

// wants reports whether any stream of consumer is open here.
func (h *hub) wants(consumer string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.byConsumer[consumer] != nil
}

func (h *hub) readyIfWaiting(s *Stream) {
	h.mu.Lock()
	if !s.ready {
		if _, ok := h.byConsumer[s.consumer][s]; ok {
			h.readyLocked(s)
		}
	}
	h.mu.Unlock()
}

func (h *hub) readyLocked(s *Stream) {
	s.ready = true
	h.sendLocked(s, Message{Kind: KindReady, Data: []byte("{}")})
}

// readyAll tells every stream of consumer to re-read the list: after
// Redis (re)confirms its subscription, events may have been missed.
func (h *hub) readyAll(consumer string) {
	h.mu.Lock()
	for s := range h.byConsumer[consumer] {
		h.readyLocked(s)
	}
	h.mu.Unlock()
}

// deliver hands a connection event to consumer's streams here.
func (h *hub) deliver(consumer, id string, data []byte) {
	h.mu.Lock()
	for s := range h.byConsumer[consumer] {
		if s.ready && h.sendLocked(s, Message{Kind: KindConnection, ID: id, Data: data}) {
			h.pushed.Inc()
		}
	}
	h.mu.Unlock()
}

// sendLocked queues m for s, ending s when its buffer is full.
func (h *hub) sendLocked(s *Stream, m Message) bool {
	select {
	case s.c <- m:
		return true
	default:
		h.removeLocked(s)
		close(s.done)
		if h.byConsumer[s.consumer] == nil && h.remote != nil {
			go h.remote.sync(s.consumer)
		}
		return false
	}
}

// publish delivers an event here and, with Redis, on every other replica.
func (h *hub) publish(consumer, id string, v View) {
	data, _ := json.Marshal(v) // strings only: cannot fail
	h.deliver(consumer, id, data)
	if h.remote != nil {
		h.remote.publish(consumer, id, data)
	}
}

// shutdown ends every stream at once and refuses new ones: open streams
// must never hold up draining.
func (h *hub) shutdown() {
	h.mu.Lock()
	h.closed = true
	var all []*Stream
	for _, set := range h.byConsumer {
		for s := range set {
			all = append(all, s)
		}
	}
	for _, s := range all {
		h.removeLocked(s)
	}
	h.mu.Unlock()
	for _, s := range all {
		close(s.done)
	}
}
