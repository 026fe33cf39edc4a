package ratelimit

import "time"

// timeLog is a ring buffer of the allowed calls' timestamps for one key,
// oldest first. It grows on demand up to the limit, so a key that calls
// once costs a few bytes even when the limit is large.
type timeLog struct {
	buf  []time.Duration
	head int // index of the oldest entry
	n    int // entries in use
}

// expire drops entries that have left the window: a call at t counts while
// now-t < window.
func (l *timeLog) expire(now, window time.Duration) {
	for l.n > 0 && now-l.buf[l.head] >= window {
		l.head = (l.head + 1) % len(l.buf)
		l.n--
	}
}

// push appends t; the caller guarantees l.n < limit.
func (l *timeLog) push(t time.Duration, limit int) {
	if l.n == len(l.buf) {
		size := min(max(2*len(l.buf), 4), limit)
		buf := make([]time.Duration, size)
		for i := range l.n {
			buf[i] = l.buf[(l.head+i)%len(l.buf)]
		}
		l.buf, l.head = buf, 0
	}
	l.buf[(l.head+l.n)%len(l.buf)] = t
	l.n++
}

func (l *timeLog) oldest() time.Duration { return l.buf[l.head] }

func (l *timeLog) newest() time.Duration { return l.buf[(l.head+l.n-1)%len(l.buf)] }
