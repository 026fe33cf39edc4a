package checks

import (
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// TestRunbookCoversCodesAndMetrics keeps docs/operations.md in step with
// the contract's error codes and with the metrics the service registers.
func TestRunbookCoversCodesAndMetrics(t *testing.T) {
	doc := readRepoFile(t, "docs/operations.md")
	rows := tableFirstCells(doc)

	t.Run("every error code has a row", func(t *testing.T) {
		codes := []string{
			"auth_unavailable", "cross_site", "prefetch_refused", "unauthenticated", "no_consumer",
			"invalid_redirect_uri", "invalid_unified_apis", "invalid_request", "rate_limited",
			"upstream_auth", "upstream_payment_required", "upstream_rejected", "upstream_busy",
			"upstream_unavailable", "upstream_timeout", "upstream_invalid_response",
			"action_not_allowed", "not_found", "invalid_signature", "payload_too_large", "relay_failed",
			"too_many_webhooks", "too_many_streams",
		}
		for _, c := range codes {
			if !rows["`"+c+"`"] {
				t.Errorf("no table row for error code %s", c)
			}
		}
	})
	t.Run("every registered metric has a row", func(t *testing.T) {
		for _, m := range serviceMetrics(t) {
			if !rows["`"+m+"`"] {
				t.Errorf("metrics reference lacks %s", m)
			}
		}
	})
	t.Run("internal links resolve", func(t *testing.T) {
		anchors := MarkdownAnchors(doc)
		for _, m := range regexp.MustCompile(`\]\(#([^)]+)\)`).FindAllStringSubmatch(doc, -1) {
			if !anchors[m[1]] {
				t.Errorf("link to #%s has no heading", m[1])
			}
		}
	})
}

// tableFirstCells returns the first cell of every Markdown table row.
func tableFirstCells(doc string) map[string]bool {
	cells := map[string]bool{}
	for _, line := range strings.Split(doc, "\n") {
		if !strings.HasPrefix(line, "|") {
			continue
		}
		if parts := strings.Split(line, "|"); len(parts) > 2 {
			cells[strings.TrimSpace(parts[1])] = true
		}
	}
	return cells
}

func TestMarkdownAnchors(t *testing.T) {
	doc := "# Operating vaultgate\n## Rotating the Apideck API key\n```sh\n# not a heading\n```\n### VaultgateDown\n## Notes\n## Notes\n"
	got := MarkdownAnchors(doc)
	for _, want := range []string{"operating-vaultgate", "rotating-the-apideck-api-key", "vaultgatedown", "notes", "notes-1"} {
		if !got[want] {
			t.Errorf("anchor %q missing from %v", want, got)
		}
	}
	if got["not-a-heading"] {
		t.Error("a comment in a code fence became a heading")
	}
}

// docFiles are the documents whose commands must work as written.
var docFiles = []string{"README.md", "docs/operations.md"}

// TestDocsRunAsWritten checks every command, query and link of the README
// and the runbook against the repository (see DocumentProblems).
func TestDocsRunAsWritten(t *testing.T) {
	c := docContext(t)
	metrics := serviceMetrics(t)
	for _, name := range docFiles {
		t.Run(name, func(t *testing.T) {
			for _, p := range DocumentProblems(c, name, readRepoFile(t, name), metrics) {
				t.Error(p)
			}
		})
	}
}

// docContext reads the DocContext of this repository.
func docContext(t *testing.T) *DocContext {
	t.Helper()
	c, err := NewDocContext(repoRoot(t))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestCodeVariablesDocumented wants every variable the service's code
// reads to be documented in the README or the runbook.
func TestCodeVariablesDocumented(t *testing.T) {
	names, err := CodeVariables(repoRoot(t))
	if err != nil {
		t.Fatal(err)
	}
	docs := ""
	for _, name := range docFiles {
		docs += readRepoFile(t, name)
	}
	for _, n := range names {
		if !strings.Contains(docs, "`"+n+"`") && !strings.Contains(docs, "`"+n+"=") {
			t.Errorf("%s is read by the code but documented in neither %s", n, strings.Join(docFiles, " nor "))
		}
	}
}

// TestReadmeTrial holds the README's trial together: the simulator listens
// where trial.env sends vaultgate (APIDECK_BASE_URL and VAULT_ORIGIN) and
// expects the key and app id vaultgate sends, and both programs run with
// trial.env loaded.
func TestReadmeTrial(t *testing.T) {
	env := map[string]string{}
	var sim *ShellCommand
	sourced := map[string]bool{} // program → trial.env loaded before it
	for _, b := range CodeBlocks(readRepoFile(t, "README.md")) {
		if b.Lang != "sh" {
			continue
		}
		s, err := ParseShell(b.Text)
		if err != nil {
			t.Fatalf("README.md:%d: %v", b.Line, err)
		}
		loaded := false
		for i, c := range s.Commands {
			switch {
			case len(c.Writes) == 1 && c.Writes[0] == "trial.env":
				for _, line := range strings.Split(c.Heredoc, "\n") {
					if k, v, ok := strings.Cut(line, "="); ok && !strings.HasPrefix(line, "#") {
						env[k] = v
					}
				}
			case c.Args[0] == "." && len(c.Args) == 2 && c.Args[1] == "./trial.env":
				loaded = true
			case len(c.Args) > 2 && c.Args[0] == "go" && c.Args[1] == "run":
				sourced[c.Args[2]] = loaded
				if c.Args[2] == "./cmd/apideck-sim" {
					sim = &s.Commands[i]
				}
			}
		}
	}
	if len(env) == 0 || sim == nil {
		t.Fatal("README has no trial: no heredoc writing trial.env or no go run ./cmd/apideck-sim")
	}
	for _, prog := range []string{"./cmd/apideck-sim", "./cmd/server"} {
		if !sourced[prog] {
			t.Errorf("go run %s does not follow `. ./trial.env` in its block", prog)
		}
	}
	flags, _ := splitArgs(sim.Args, 3, map[string]bool{"-addr": true, "-api-key": true, "-app-id": true, "-latency": true})
	for _, v := range []string{"APIDECK_BASE_URL", "VAULT_ORIGIN"} {
		u, err := url.Parse(env[v])
		if err != nil || len(flags["-addr"]) != 1 || u.Host != flags["-addr"][0] {
			t.Errorf("trial.env %s=%q is not the simulator's -addr %q", v, env[v], flags["-addr"])
		}
	}
	for flag, v := range map[string]string{"-api-key": "APIDECK_API_KEY", "-app-id": "APIDECK_APP_ID"} {
		if got := flags[flag]; len(got) != 1 || (got[0] != "$"+v && got[0] != env[v]) {
			t.Errorf("simulator %s %q: want $%s (%q)", flag, got, v, env[v])
		}
	}
}
