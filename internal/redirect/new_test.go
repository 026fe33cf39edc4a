package redirect

import (
	"errors"
	"strings"
	"testing"
)

func TestNew(t *testing.T) {
	t.Parallel()
	a, err := New([]string{"https://a.com/", "http://localhost:8080/cb", "https://a.com/"})
	if err != nil {
		t.Fatalf("New() error = %v", err)
	}
	if a.Len() != 3 {
		t.Errorf("Len() = %d, want 3", a.Len())
	}
}

func TestNewReportsEveryProblem(t *testing.T) {
	t.Parallel()
	entries := []string{
		"https://ok.example/",                    // 0: fine
		"/relative",                              // 1
		"ftp://files.example/",                   // 2
		"https://user@host.example/",             // 3
		"https://host.example/cb#frag",           // 4
		"https://host.example/a b",               // 5
		"https://host.example/\\x",               // 6
		"https://host.example/cb?token=s3cr3t\n", // 7: control char; query must not be echoed
		"https:///nohost",                        // 8
		"",                                       // 9
		"https://ok.example/cb?token=s3cr3t",     // 10: fine
	}
	_, err := New(entries)
	if err == nil {
		t.Fatal("New() accepted invalid entries")
	}
	msg := err.Error()
	for _, i := range []string{"1", "2", "3", "4", "5", "6", "7", "8", "9"} {
		if !strings.Contains(msg, "entry "+i+":") {
			t.Errorf("error does not name entry %s:\n%s", i, msg)
		}
	}
	for _, i := range []string{"0", "10"} {
		if strings.Contains(msg, "entry "+i+":") {
			t.Errorf("error names valid entry %s:\n%s", i, msg)
		}
	}
	if strings.Contains(msg, "s3cr3t") {
		t.Errorf("error echoes a query string:\n%s", msg)
	}
	var joined interface{ Unwrap() []error }
	if !errors.As(err, &joined) || len(joined.Unwrap()) != 9 {
		t.Errorf("want 9 joined errors, got %v", err)
	}
}
