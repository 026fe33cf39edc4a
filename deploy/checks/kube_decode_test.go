package checks

import (
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/runtime/schema"
)

func TestDecodeStrictRejectsWhatTheAPIServerWould(t *testing.T) {
	svc := schema.GroupVersionKind{Version: "v1", Kind: "Service"}
	dep := schema.GroupVersionKind{Group: "apps", Version: "v1", Kind: "Deployment"}
	tests := []struct {
		name    string
		gvk     schema.GroupVersionKind
		json    string
		wantErr string
	}{
		{"valid", svc, `{"metadata":{"name":"a"},"spec":{"ports":[{"port":80}]}}`, ""},
		{"unknown field", svc, `{"metadata":{"name":"a"},"spec":{"prots":[]}}`, "unknown field"},
		{"misplaced field", dep, `{"spec":{"template":{"spec":{"containers":[{"name":"c","readOnlyRootFilesystem":true}]}}}}`, "unknown field"},
		{"wrong case", svc, `{"metadata":{"name":"a"},"spec":{"Ports":[]}}`, "unknown field"},
		{"duplicate field", svc, `{"metadata":{"name":"a"},"metadata":{"name":"b"}}`, "duplicate field"},
		{"wrong type", svc, `{"spec":{"ports":"80"}}`, "cannot unmarshal"},
		{"unknown kind", schema.GroupVersionKind{Version: "v1", Kind: "Pod"}, `{}`, "no typed struct"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := DecodeStrict(tt.gvk, []byte(tt.json))
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("error %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}
