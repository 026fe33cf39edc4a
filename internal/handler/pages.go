package handler

import (
	"bytes"
	_ "embed" // the error page
	"html/template"
	"net/http"
	"strconv"
	"time"
)

// errorHTML is the error page's template, part of the binary.
//
//go:embed pages/error.html
var errorHTML string

// pageCSP lets the error page use its own inline style and nothing else:
// no scripts, images or fetches, whatever a detail might hold.
const pageCSP = "default-src 'none'; style-src 'unsafe-inline'"

// errorPage parses the embedded error page; it is part of the binary, so
// failing to parse it is a build defect.
func errorPage() *template.Template {
	return template.Must(template.New("error").Parse(errorHTML))
}

// pageData is what the error page shows.
type pageData struct {
	Title, Detail, Code, RequestID, AppURL string
	Status                                 int
	RetryAfter                             string // whole seconds; empty when the problem sends no Retry-After
}

// writePage answers a browser navigation's problem with a small page a
// person can read, keeping the problem's status.
func (p *problems) writePage(w http.ResponseWriter, code string, t problemType, id string, retryAfter time.Duration) {
	d := pageData{Title: t.title, Detail: t.detail, Code: code, RequestID: id, AppURL: p.appURL, Status: t.status}
	if t.retry {
		d.RetryAfter = retryAfterSeconds(retryAfter)
	}
	var buf bytes.Buffer
	// Strings and ints into a parsed template: it cannot fail.
	_ = p.page.Execute(&buf, d)
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", pageCSP)
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(t.status)
	_, _ = w.Write(buf.Bytes())
}
