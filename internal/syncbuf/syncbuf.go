// Package syncbuf is a bytes.Buffer safe for concurrent writers and
// readers: the sink tests give to loggers and child processes.
package syncbuf

import (
	"bytes"
	"sync"
)

// Buffer collects writes from several goroutines; String may be called
// at any time.
type Buffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

// Write implements io.Writer.
func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String returns everything written so far.
func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
