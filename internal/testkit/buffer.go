package testkit

import (
	"bytes"
	"encoding/json"
	"strings"
	"sync"
	"testing"
)

// Buffer is a bytes.Buffer safe for concurrent writers and readers: the
// sink tests give to loggers and child processes.
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

// Lines decodes every line written so far; a line that is not a JSON
// object fails the test.
func (b *Buffer) Lines(t testing.TB) []map[string]any {
	t.Helper()
	var out []map[string]any
	for line := range strings.Lines(b.String()) {
		if strings.TrimSpace(line) == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("log line is not JSON: %q", line)
		}
		out = append(out, m)
	}
	return out
}

// AccessLines returns the access log's lines: those with message "request".
func (b *Buffer) AccessLines(t testing.TB) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, l := range b.Lines(t) {
		if l["message"] == "request" {
			out = append(out, l)
		}
	}
	return out
}

// WantNoSecrets checks that the access log was written and that none of
// secrets, each of which must be set, appears in anything written. A hit
// names the secret by position and length, never by value.
func (b *Buffer) WantNoSecrets(t testing.TB, secrets ...string) {
	t.Helper()
	logs := b.String()
	if !strings.Contains(logs, `"message":"request"`) {
		t.Fatal("no access log lines captured")
	}
	for i, s := range secrets {
		if s == "" {
			t.Fatalf("secret %d under test is empty", i)
		}
		if strings.Contains(logs, s) {
			t.Errorf("the log holds secret %d (%d chars)", i, len(s))
		}
	}
}
