package checks

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/types"
)

// loadCompose loads deploy/compose/compose.yaml with compose-go, as
// `docker compose config` would, with an empty environment so the defaults
// in the file are what is checked.
func loadCompose(t *testing.T) (*types.Project, string) {
	t.Helper()
	dir := filepath.Join(repoRoot(t), "deploy", "compose")
	details := types.ConfigDetails{
		WorkingDir:  dir,
		ConfigFiles: []types.ConfigFile{{Filename: filepath.Join(dir, "compose.yaml")}},
		Environment: types.Mapping{},
	}
	p, err := loader.LoadWithContext(t.Context(), details, func(o *loader.Options) {
		o.SetProjectName("vaultgate-example", true)
		o.ResolvePaths = true
	})
	if err != nil {
		t.Fatal(err)
	}
	return p, dir
}

func TestCompose(t *testing.T) {
	p, dir := loadCompose(t)
	for _, name := range []string{"proxy", "vaultgate", "app", "redis"} {
		if _, ok := p.Services[name]; !ok {
			t.Fatalf("no service %q (have %v)", name, p.ServiceNames())
		}
	}
	vg := p.Services["vaultgate"]

	t.Run("vaultgate built from the repository Dockerfile", func(t *testing.T) {
		if vg.Build == nil || vg.Build.Context != repoRoot(t) || vg.Build.Dockerfile != "Dockerfile" {
			t.Errorf("build %+v, want the repository root and its Dockerfile", vg.Build)
		}
	})

	t.Run("api key only as a file secret", func(t *testing.T) {
		sec, ok := p.Secrets["apideck_api_key"]
		if !ok || sec.File == "" || sec.Environment != "" || sec.Content != "" {
			t.Fatalf("secret apideck_api_key %+v: want a file secret", sec)
		}
		if !strings.HasSuffix(sec.File, ".example") {
			t.Errorf("default secret file %s is not the committed example", sec.File)
		}
		key, err := os.ReadFile(sec.File)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(key), "NOT_A_REAL_KEY") {
			t.Errorf("%s does not look obviously fake", sec.File)
		}
		if !slices.ContainsFunc(vg.Secrets, func(s types.ServiceSecretConfig) bool { return s.Source == "apideck_api_key" }) {
			t.Error("vaultgate does not use the secret")
		}
		if got := derefOr(vg.Environment["APIDECK_API_KEY_FILE"], ""); got != "/run/secrets/apideck_api_key" {
			t.Errorf("APIDECK_API_KEY_FILE = %q, want /run/secrets/apideck_api_key", got)
		}
		for name, svc := range p.Services {
			for k, v := range svc.Environment {
				if k == "APIDECK_API_KEY" || (v != nil && strings.Contains(*v, strings.TrimSpace(string(key)))) {
					t.Errorf("service %s has the API key in its environment (%s)", name, k)
				}
			}
		}
		raw, err := os.ReadFile(filepath.Join(dir, "compose.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(raw), "APIDECK_API_KEY:") || strings.Contains(string(raw), "APIDECK_API_KEY=") {
			t.Error("compose.yaml sets APIDECK_API_KEY in plain text")
		}
	})

	t.Run("healthchecks", func(t *testing.T) {
		for name, svc := range p.Services {
			if svc.HealthCheck == nil || svc.HealthCheck.Disable || len(svc.HealthCheck.Test) == 0 {
				t.Errorf("service %s has no healthcheck", name)
			}
		}
		if vg.HealthCheck == nil {
			t.FailNow()
		}
		if got := vg.HealthCheck.Test; !slices.Equal(got, types.HealthCheckTest{"CMD", "/vaultgate", "healthcheck"}) {
			t.Errorf("vaultgate healthcheck %q, want the exec-form healthcheck subcommand", got)
		}
		for _, dep := range []string{"redis"} {
			if vg.DependsOn[dep].Condition != types.ServiceConditionHealthy {
				t.Errorf("vaultgate does not wait for %s to be healthy", dep)
			}
		}
	})

	t.Run("hardened and not published", func(t *testing.T) {
		if !vg.ReadOnly || !slices.Equal(vg.CapDrop, []string{"ALL"}) || !slices.Contains(vg.SecurityOpt, "no-new-privileges:true") {
			t.Error("vaultgate must be read_only, drop ALL capabilities and set no-new-privileges")
		}
		for name, svc := range p.Services {
			for _, port := range svc.Ports {
				if port.Published != "" && port.HostIP != "127.0.0.1" {
					t.Errorf("service %s publishes %s on %q, want loopback only", name, port.Published, port.HostIP)
				}
				if name == "vaultgate" && port.Target == 8080 {
					t.Error("vaultgate's public port is published directly: it belongs behind the proxy")
				}
			}
		}
		if u := derefOr(vg.Environment["REDIS_URL"], ""); !strings.HasPrefix(u, "redis://redis:6379") {
			t.Errorf("REDIS_URL = %q, want the redis service", u)
		}
	})

	t.Run("proxy routes the public paths to vaultgate on one origin", func(t *testing.T) {
		checkCaddyRouting(t, p.Services["proxy"], vg)
	})
}

// checkCaddyRouting reads the Caddyfile mounted into the proxy and wants
// exactly the paths of wantRoutes (for vaultgate's environment) sent to
// vaultgate's public port and everything else to the app.
func checkCaddyRouting(t *testing.T, proxy types.ServiceConfig, vaultgate types.ServiceConfig) {
	t.Helper()
	var src string
	for _, v := range proxy.Volumes {
		if v.Target == "/etc/caddy/Caddyfile" {
			src = v.Source
		}
	}
	if src == "" {
		t.Fatal("proxy mounts no /etc/caddy/Caddyfile")
	}
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	blocks, err := ParseCaddyfile(string(b))
	if err != nil {
		t.Fatal(err)
	}
	site, ok := CaddyBlock{Children: blocks}.Find(":80")
	if !ok {
		t.Fatal("Caddyfile has no :80 site")
	}
	config := map[string]string{}
	for k, v := range vaultgate.Environment {
		config[k] = derefOr(v, "")
	}
	routed, fallback, problems := CaddyRoutes(site, "vaultgate:8080")
	for _, p := range problems {
		t.Error(p)
	}
	got := map[string]string{}
	for _, p := range routed {
		prefix, isPrefix := strings.CutSuffix(p, "/*")
		switch {
		case isPrefix && !strings.Contains(prefix, "*"):
			got[prefix+"/"] = matchPrefix
		case !strings.Contains(p, "*"):
			got[p] = matchExact
		default:
			t.Errorf("Caddy path %q is neither exact nor a prefix at a segment boundary", p)
		}
	}
	checkRoutes(t, got, config)
	if fallback != "app:80" {
		t.Errorf("the rest of the origin goes to %q, want app:80", fallback)
	}
	published := slices.ContainsFunc(proxy.Ports, func(p types.ServicePortConfig) bool { return p.Target == 80 })
	if !published {
		t.Error("the proxy does not publish its port 80")
	}
}

func TestParseCaddyfile(t *testing.T) {
	tests := []struct {
		name, src string
		wantErr   bool
		want      []string // tokens of the :80 site's first child
	}{
		{"nested", ":80 {\n\t# comment\n\thandle /connect {\n\t\treverse_proxy a:1 # trailing\n\t}\n}\n", false, []string{"handle", "/connect"}},
		{"unclosed", ":80 {\n\thandle {\n}\n", true, nil},
		{"extra close", ":80 {\n}\n}\n", true, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			blocks, err := ParseCaddyfile(tt.src)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if tt.wantErr {
				return
			}
			site, ok := CaddyBlock{Children: blocks}.Find(":80")
			if !ok || len(site.Children) == 0 || !slices.Equal(site.Children[0].Tokens, tt.want) {
				t.Fatalf("parsed %+v", blocks)
			}
			if _, ok := site.Children[0].Find("reverse_proxy", "a:1"); !ok {
				t.Errorf("nested directive lost: %+v", site.Children[0])
			}
		})
	}
}

func TestCaddyRoutes(t *testing.T) {
	tests := []struct {
		name, site   string
		wantPaths    []string
		wantFallback string
		wantProblem  string
	}{
		{"named matcher", "@vg path /a /b/*\nhandle @vg {\n reverse_proxy vg:1\n}\nhandle {\n reverse_proxy app:80\n}", []string{"/a", "/b/*"}, "app:80", ""},
		{"inline path", "handle /a {\n reverse_proxy vg:1\n}", []string{"/a"}, "", ""},
		{"other matcher", "@vg header X-A b\nhandle @vg {\n reverse_proxy vg:1\n}", nil, "", "want a `@vg path …` matcher"},
		{"everything", "handle {\n reverse_proxy vg:1\n}", nil, "vg:1", "outside a path-limited handle"},
		{"outside handle", "reverse_proxy /a vg:1", nil, "", "outside a path-limited handle"},
		{"admin port", "handle /metrics {\n reverse_proxy vg:9\n}", nil, "", "proxies to vg:9"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			blocks, err := ParseCaddyfile(":80 {\n" + tt.site + "\n}\n")
			if err != nil {
				t.Fatal(err)
			}
			paths, fallback, problems := CaddyRoutes(blocks[0], "vg:1")
			if !slices.Equal(paths, tt.wantPaths) || fallback != tt.wantFallback {
				t.Errorf("paths %q fallback %q, want %q %q", paths, fallback, tt.wantPaths, tt.wantFallback)
			}
			joined := strings.Join(problems, "; ")
			if (tt.wantProblem == "") != (joined == "") || !strings.Contains(joined, tt.wantProblem) {
				t.Errorf("problems %q, want one containing %q", joined, tt.wantProblem)
			}
		})
	}
}
