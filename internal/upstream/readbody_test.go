package upstream

import (
	"errors"
	"io"
	"strings"
	"testing"
)

func TestReadBody(t *testing.T) {
	big := strings.Repeat("x", maxBodyBytes+1)
	tests := []struct {
		name         string
		body         string
		size         int64 // declared length; -1 when unknown
		want         string
		wantTooLarge bool
		wantErr      error
	}{
		{"declared, exact", `{"a":1}`, 7, `{"a":1}`, false, nil},
		{"declared, empty", ``, 0, ``, false, nil},
		{"declared, body ends early", `{"a"`, 7, ``, false, io.ErrUnexpectedEOF},
		{"unknown length", `{"a":1}`, -1, `{"a":1}`, false, nil},
		{"unknown length, over the limit", big, -1, ``, true, nil},
		{"declared over the limit", big, int64(len(big)), ``, true, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, tooLarge, err := readBody(strings.NewReader(tt.body), tt.size)
			if !errors.Is(err, tt.wantErr) || (err != nil) != (tt.wantErr != nil) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if tooLarge != tt.wantTooLarge || string(got) != tt.want {
				t.Errorf("got %q (tooLarge %v), want %q (tooLarge %v)", got, tooLarge, tt.want, tt.wantTooLarge)
			}
		})
	}
}
