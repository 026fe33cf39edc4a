package handler

import "testing"

func TestClientIP(t *testing.T) {
	tests := []struct {
		name   string
		remote string
		xff    []string
		hops   int
		want   string
	}{
		{"peer, no header", "203.0.113.7:5555", nil, 0, "203.0.113.7"},
		{"hops 0 ignores header", "203.0.113.7:5555", []string{"198.51.100.1"}, 0, "203.0.113.7"},
		{"hops 1 takes rightmost", "10.0.0.2:80", []string{"198.51.100.9, 198.51.100.1"}, 1, "198.51.100.1"},
		{"hops 1 spoofed left ignored", "10.0.0.2:80", []string{"1.2.3.4, 5.6.7.8, 198.51.100.1"}, 1, "198.51.100.1"},
		{"hops 2 takes second from right", "10.0.0.2:80", []string{"1.2.3.4, 198.51.100.9, 10.0.0.1"}, 2, "198.51.100.9"},
		{"hops 2 across header lines", "10.0.0.2:80", []string{"1.2.3.4, 198.51.100.9", "10.0.0.1"}, 2, "198.51.100.9"},
		{"hops 2 too few entries", "10.0.0.2:80", []string{"198.51.100.9"}, 2, "10.0.0.2"},
		{"hops 1 no header", "10.0.0.2:80", nil, 1, "10.0.0.2"},
		{"hops 1 garbage entry", "10.0.0.2:80", []string{"1.2.3.4, not-an-ip"}, 1, "10.0.0.2"},
		{"hops 1 entry with port is not an IP", "10.0.0.2:80", []string{"198.51.100.1:443"}, 1, "10.0.0.2"},
		{"ipv6 peer", "[2001:db8::1]:443", nil, 0, "2001:db8::1"},
		{"ipv6 forwarded", "10.0.0.2:80", []string{"2001:db8::7"}, 1, "2001:db8::7"},
		{"mapped ipv4 normalised", "[::ffff:192.0.2.1]:80", nil, 0, "192.0.2.1"},
		{"peer without port", "192.0.2.5", nil, 0, "192.0.2.5"},
		{"empty entry", "10.0.0.2:80", []string{"1.2.3.4,"}, 1, "10.0.0.2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := request("GET", "/connect", "")
			r.RemoteAddr = tt.remote
			for _, v := range tt.xff {
				r.Header.Add("X-Forwarded-For", v)
			}
			if got := clientIP(r, tt.hops); got != tt.want {
				t.Errorf("clientIP = %q, want %q", got, tt.want)
			}
		})
	}
}
