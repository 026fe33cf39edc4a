package handler

import (
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// clientIP is the address per-IP rate limits count against. With hops = 0
// it is the TCP peer. With hops = n > 0, n trusted proxies each appended
// the address they saw to X-Forwarded-For, so the n-th entry from the right
// is the one written by the outermost trusted proxy; entries further left
// come from the client and are ignored (spoofable). When there are fewer
// than n entries, or that entry is not an IP, the peer is used.
func clientIP(r *http.Request, hops int) string {
	peer := peerIP(r.RemoteAddr)
	if hops <= 0 {
		return peer
	}
	var entries []string
	for _, v := range r.Header.Values("X-Forwarded-For") {
		for e := range strings.SplitSeq(v, ",") {
			entries = append(entries, strings.TrimSpace(e))
		}
	}
	if len(entries) < hops {
		return peer
	}
	addr, err := netip.ParseAddr(entries[len(entries)-hops])
	if err != nil {
		return peer
	}
	return addr.Unmap().WithZone("").String()
}

// peerIP is the host part of a RemoteAddr, normalised when it parses.
func peerIP(remoteAddr string) string {
	host, _, err := net.SplitHostPort(remoteAddr)
	if err != nil {
		host = remoteAddr
	}
	if addr, err := netip.ParseAddr(host); err == nil {
		return addr.Unmap().WithZone("").String()
	}
	return host
}
