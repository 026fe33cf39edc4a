package handler

import (
	"net/http"
	"testing"
)

func TestPrefersJSON(t *testing.T) {
	tests := []struct {
		name, accept string
		want         bool
	}{
		{"missing", "", false},
		{"axios default", "application/json, text/plain, */*", true},
		{"browser navigation", "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8", false},
		{"json only", "application/json", true},
		{"json with charset", "application/json; charset=utf-8", true},
		{"json upper case", "Application/JSON", true},
		{"any only", "*/*", false},
		{"json q0", "application/json;q=0", false},
		{"json q0 alone beats nothing", "application/json;q=0, */*;q=0", false},
		{"json below html", "text/html, application/json;q=0.9", false},
		{"json equal to html", "text/html;q=0.5, application/json;q=0.5", true},
		{"json above html", "text/html;q=0.4, application/json;q=0.5", true},
		{"json below any", "application/json;q=0.5, */*", false},
		{"json above any", "application/json, */*;q=0.8", true},
		{"text star counts for html", "application/json;q=0.5, text/*;q=0.9, */*;q=0.1", false},
		{"html named beats text star", "application/json;q=0.5, text/html;q=0.4, text/*", true},
		{"html q0 json low", "text/html;q=0, application/json;q=0.1", true},
		{"malformed q dropped", "application/json;q=abc", false},
		{"q out of range dropped", "application/json;q=2", false},
		{"only other types", "application/json, text/plain", true},
		{"spaces", "  application/json ;  q=1 ,text/html;q=1", true},
		{"json twice takes highest", "application/json;q=0.1, text/html;q=0.5, application/json;q=0.6", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := prefersJSON(tt.accept); got != tt.want {
				t.Errorf("prefersJSON(%q) = %v, want %v", tt.accept, got, tt.want)
			}
		})
	}
}

func TestIsNavigation(t *testing.T) {
	const browser = "text/html,application/xhtml+xml,*/*;q=0.8"
	tests := []struct {
		name, method string
		accept       []string
		want         bool
	}{
		{"browser GET", http.MethodGet, []string{browser}, true},
		{"browser POST", http.MethodPost, []string{browser}, false},
		{"missing accept", http.MethodGet, nil, false},
		{"fetch default", http.MethodGet, []string{"*/*"}, false},
		{"json preferred", http.MethodGet, []string{"application/json, text/html"}, false},
		{"html refused", http.MethodGet, []string{"text/html;q=0"}, false},
		{"split across headers", http.MethodGet, []string{"application/xml", "text/html"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := request(tt.method, "/connect", "")
			for _, a := range tt.accept {
				r.Header.Add("Accept", a)
			}
			if got := isNavigation(r); got != tt.want {
				t.Errorf("isNavigation = %v, want %v", got, tt.want)
			}
		})
	}
}
