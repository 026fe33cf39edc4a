package demo

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"net/http"
	"time"
)

//go:embed static/app.js static/integrations.js static/style.css
var staticFS embed.FS

// serveStatic serves one embedded file under an explicit name and type (no
// file server, so no directory listings or content sniffing). no-cache with
// an ETag lets the browser revalidate cheaply yet never run a stale script.
func serveStatic(name, contentType string) http.HandlerFunc {
	body, err := staticFS.ReadFile("static/" + name)
	if err != nil {
		// The file list and the embed directive are both fixed at build time.
		panic("demo: embedded static file missing: " + name)
	}
	sum := sha256.Sum256(body)
	etag := `"` + hex.EncodeToString(sum[:8]) + `"`
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", contentType)
		w.Header().Set("Cache-Control", "no-cache")
		w.Header().Set("ETag", etag)
		http.ServeContent(w, r, name, time.Time{}, bytes.NewReader(body))
	}
}
