package config

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/headroomhq/headroom"
)

// writeFiles writes files (name -> content) under dir.
func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// fixtures returns the service and policy files of testdata.
func fixtures(t testing.TB) map[string]string {
	t.Helper()
	files := map[string]string{}
	for _, name := range []string{"service.yaml", "policy.yaml", "hpa.yaml"} {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		files[name] = string(data)
	}
	return files
}

func TestLoadTwoTargets(t *testing.T) {
	dir := t.TempDir()
	files := fixtures(t)
	data, err := os.ReadFile("testdata/headroom.yaml")
	if err != nil {
		t.Fatal(err)
	}
	files["headroom.yaml"] = string(data)
	writeFiles(t, dir, files)

	cfg, err := Load(filepath.Join(dir, "headroom.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := cfg.Path, filepath.Join(dir, "headroom.yaml"); got != want {
		t.Errorf("Path: got %s, want %s", got, want)
	}
	if got, want := cfg.DataDir, filepath.Join(dir, "state"); got != want {
		t.Errorf("DataDir: got %s, want %s", got, want)
	}
	if got, want := cfg.LoopInterval, 30*time.Second; got != want {
		t.Errorf("LoopInterval: got %s, want %s", got, want)
	}
	if len(cfg.Targets) != 2 {
		t.Fatalf("got %d targets, want 2", len(cfg.Targets))
	}

	web := cfg.Targets[0]
	if web.Name != "web" || web.Mode != headroom.ModeEnforce {
		t.Errorf("web: got name %q mode %q", web.Name, web.Mode)
	}
	if web.Service == nil || web.Service.CapacityPerInstance != 100 {
		t.Errorf("web: service not read: %+v", web.Service)
	}
	if web.Policy == nil || web.Policy.Min != 2 || web.Policy.Max != 20 {
		t.Errorf("web: headroom policy not read: %+v", web.Policy)
	}
	if web.Proposed == nil || web.Proposed.Max != 30 {
		t.Errorf("web: proposed HPA not read: %+v", web.Proposed)
	}
	if want := headroom.DefaultGuards(web.Service, web.Policy, 0.2); !reflect.DeepEqual(web.Guards, want) {
		t.Errorf("web guards: got %+v, want DefaultGuards with margin 0.2", web.Guards)
	}
	wantProm := &Prometheus{URL: "http://127.0.0.1:9090", Demand: `sum(rate(http_requests_total{job="web"}[1m]))`,
		Utilization: `avg(rate(container_cpu_usage_seconds_total{job="web"}[1m]))`,
		ErrorRatio:  `sum(rate(http_requests_total{job="web",code=~"5.."}[1m])) / sum(rate(http_requests_total{job="web"}[1m]))`,
		Latency:     `histogram_quantile(0.5, sum by (le) (rate(http_request_duration_seconds_bucket{job="web"}[1m])))`,
		Window:      time.Minute, Timeout: 5 * time.Second}
	if !reflect.DeepEqual(web.Prometheus, wantProm) {
		t.Errorf("web prometheus: got %+v, want %+v", web.Prometheus, wantProm)
	}
	wantCmd := &Command{Scale: []string{"aws", "ecs", "update-service", "--service", "{{target}}", "--desired-count", "{{desired}}"},
		Read: []string{"/usr/local/bin/count.sh", "{{target}}"}, Timeout: 45 * time.Second, Retries: 3,
		Field: "spec.targets[0].command", Line: 23}
	if !reflect.DeepEqual(web.Command, wantCmd) {
		t.Errorf("web command: got %+v, want %+v", web.Command, wantCmd)
	}
	if len(web.Warnings) != 1 || !strings.Contains(web.Warnings[0], "hpa.yaml:1: autoscaling/v2beta2") {
		t.Errorf("web: got warnings %q, want the proposed HPA's v2beta2 warning", web.Warnings)
	}

	api := cfg.Targets[1]
	if api.Mode != headroom.ModeShadow {
		t.Errorf("api: got mode %q, want the default %q", api.Mode, headroom.ModeShadow)
	}
	if api.Policy == nil || api.Policy.Max != 30 || api.Proposed != nil {
		t.Errorf("api: got policy %+v, proposed %+v; want the HPA and no proposed", api.Policy, api.Proposed)
	}
	if api.Guards != nil {
		t.Errorf("api: guards are disabled, got %+v", api.Guards)
	}
	if api.Command.Retries != -1 || api.Command.Timeout != 0 {
		t.Errorf("api: retries 0 must reach exec as -1 (none), timeout unset as 0; got %+v", api.Command)
	}
	if len(api.Warnings) != 1 {
		t.Errorf("api: got warnings %q, want the HPA's", api.Warnings)
	}
}

func TestDefaults(t *testing.T) {
	dir := t.TempDir()
	files := fixtures(t)
	files["headroom.yaml"] = `apiVersion: headroom.dev/v1alpha1
kind: Config
spec:
  targets:
  - name: web
    service: service.yaml
    policy: policy.yaml
    prometheus: {url: "http://prom:9090", demand: "sum(rate(x[1m]))"}
    command: {scale: [scale.sh]}
  - name: batch
    mode: off
    service: service.yaml
    policy: policy.yaml
    prometheus: {url: "http://prom:9090", demand: "sum(rate(y[1m]))"}
`
	writeFiles(t, dir, files)
	cfg, err := Load(filepath.Join(dir, "headroom.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := cfg.DataDir, filepath.Join(dir, DefaultDataDir); got != want {
		t.Errorf("DataDir: got %s, want %s", got, want)
	}
	if cfg.LoopInterval != DefaultLoopInterval {
		t.Errorf("LoopInterval: got %s, want %s", cfg.LoopInterval, DefaultLoopInterval)
	}
	web := cfg.Targets[0]
	if web.Mode != headroom.ModeShadow {
		t.Errorf("mode: got %q, want %q: a new target never acts until told to", web.Mode, headroom.ModeShadow)
	}
	if want := headroom.DefaultGuards(web.Service, web.Policy, headroom.DefaultGuardMargin); !reflect.DeepEqual(web.Guards, want) {
		t.Errorf("guards: got %+v, want DefaultGuards with margin %v", web.Guards, headroom.DefaultGuardMargin)
	}
	if c := web.Command; c.Timeout != 0 || c.Retries != 0 || c.Read != nil {
		t.Errorf("command: got %+v, want the actuator's defaults (zero)", c)
	}
	if p := web.Prometheus; p.Window != 0 || p.Timeout != 0 {
		t.Errorf("prometheus: got %+v, want the source's defaults (zero)", p)
	}
	if batch := cfg.Targets[1]; batch.Mode != headroom.ModeOff || batch.Command != nil {
		t.Errorf("an off target needs no command: got %+v", batch)
	}
}

func TestRelativePaths(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{}
	for name, content := range fixtures(t) {
		files[filepath.Join("cfg", "deploy", name)] = content
	}
	files["cfg/headroom.yaml"] = `apiVersion: headroom.dev/v1alpha1
kind: Config
spec:
  dataDir: ../var/headroom
  targets:
  - name: web
    service: deploy/service.yaml
    policy: deploy/hpa.yaml
    proposed: ` + filepath.Join(dir, "cfg", "deploy", "policy.yaml") + `
    prometheus: {url: "http://prom:9090", demand: "sum(rate(x[1m]))"}
    command: {scale: [scale.sh]}
`
	writeFiles(t, dir, files)
	t.Chdir(dir) // Load("cfg/headroom.yaml") from elsewhere than its directory

	cfg, err := Load("cfg/headroom.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := cfg.Path, filepath.Join(dir, "cfg", "headroom.yaml"); got != want {
		t.Errorf("Path: got %s, want %s", got, want)
	}
	if got, want := cfg.DataDir, filepath.Join(dir, "var", "headroom"); got != want {
		t.Errorf("DataDir: got %s, want %s (relative to the config's directory)", got, want)
	}
	if web := cfg.Targets[0]; web.Service == nil || web.Policy == nil || web.Proposed == nil {
		t.Errorf("referenced files not read relative to the config's directory: %+v", web)
	}

	// An absolute dataDir is kept.
	abs := filepath.Join(dir, "elsewhere")
	data, _ := os.ReadFile("cfg/headroom.yaml")
	cfg, err = Parse("cfg/headroom.yaml", []byte(strings.Replace(string(data), "../var/headroom", abs, 1)))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.DataDir != abs {
		t.Errorf("absolute DataDir: got %s, want %s", cfg.DataDir, abs)
	}
}

// base is a valid config; the error cases change one part of it. Its
// lines are numbered for the cases' expectations.
const base = `apiVersion: headroom.dev/v1alpha1
kind: Config
metadata: {name: prod}
spec:
  targets:
  - name: web
    mode: enforce
    service: service.yaml
    policy: policy.yaml
    prometheus:
      url: http://127.0.0.1:9090
      demand: sum(rate(http_requests_total[1m]))
    command:
      scale: [scale.sh, "{{desired}}"]
`

// kubeFrom and kubeTo replace base's command actuator by a Kubernetes one.
const (
	kubeFrom = "    command:\n      scale: [scale.sh, \"{{desired}}\"]"
	kubeTo   = "    kubernetes: {namespace: shop, deployment: web}"
)

// at is where an error is expected: the file's base name, line and field.
type at struct {
	file  string
	line  int
	field string
}

func TestErrors(t *testing.T) {
	// edit replaces old by new in base, failing when old is not there.
	edit := func(t *testing.T, pairs ...string) string {
		t.Helper()
		s := base
		for i := 0; i+1 < len(pairs); i += 2 {
			if !strings.Contains(s, pairs[i]) {
				t.Fatalf("base has no %q", pairs[i])
			}
			s = strings.Replace(s, pairs[i], pairs[i+1], 1)
		}
		return s
	}
	second := `  - name: web
    service: service.yaml
    policy: policy.yaml
    prometheus: {url: "http://prom:9090", demand: x}
    command: {scale: [scale.sh]}
`
	tests := []struct {
		name  string
		edits []string
		files map[string]string // beside the fixtures
		want  []at
		is    error // an error the list must wrap, if any
	}{
		{name: "unknown field, with the known ones listed", edits: []string{"    mode: enforce", "    mood: enforce"},
			want: []at{{"headroom.yaml", 7, "spec.targets[0].mood"}}},
		{name: "unknown field at the top", edits: []string{"metadata: {name: prod}", "metadata: {name: prod}\nstatus: {}"},
			want: []at{{"headroom.yaml", 4, "status"}}},
		{name: "missing demand: reported at its prometheus mapping", edits: []string{"      demand: sum(rate(http_requests_total[1m]))\n", ""},
			want: []at{{"headroom.yaml", 10, "spec.targets[0].prometheus.demand"}}},
		{name: "bad URL: not http", edits: []string{"http://127.0.0.1:9090", "ftp://127.0.0.1:9090"},
			want: []at{{"headroom.yaml", 11, "spec.targets[0].prometheus.url"}}},
		{name: "bad URL: no scheme", edits: []string{"http://127.0.0.1:9090", "127.0.0.1:9090"},
			want: []at{{"headroom.yaml", 11, "spec.targets[0].prometheus.url"}}},
		{name: "bad URL: no host", edits: []string{"http://127.0.0.1:9090", "http:///api"},
			want: []at{{"headroom.yaml", 11, "spec.targets[0].prometheus.url"}}},
		{name: "duplicate name: reported at the second", edits: []string{`"{{desired}}"]` + "\n", `"{{desired}}"]` + "\n" + second},
			want: []at{{"headroom.yaml", 15, "spec.targets[1].name"}}},
		{name: "mode guard needs the Kubernetes actuator", edits: []string{"mode: enforce", "mode: guard"},
			want: []at{{"headroom.yaml", 7, "spec.targets[0].mode"}}},
		{name: "mode guard needs an hpa", edits: []string{"mode: enforce", "mode: guard", kubeFrom, kubeTo},
			want: []at{{"headroom.yaml", 13, "spec.targets[0].kubernetes.hpa"}}},
		{name: "both actuators", edits: []string{"    command:\n", kubeTo + "\n    command:\n"},
			want: []at{{"headroom.yaml", 13, "spec.targets[0].kubernetes"}}},
		{name: "kubernetes without namespace or workload", edits: []string{kubeFrom, "    kubernetes: {hpa: web}"},
			want: []at{{"headroom.yaml", 13, "spec.targets[0].kubernetes.namespace"}, {"headroom.yaml", 13, "spec.targets[0].kubernetes.deployment"}}},
		{name: "kubernetes with two workloads and a bad namespace", edits: []string{kubeFrom, "    kubernetes: {namespace: Shop, deployment: web, statefulSet: db, retries: -2}"},
			want: []at{{"headroom.yaml", 13, "spec.targets[0].kubernetes.namespace"}, {"headroom.yaml", 13, "spec.targets[0].kubernetes.statefulSet"},
				{"headroom.yaml", 13, "spec.targets[0].kubernetes.retries"}}},
		{name: "unknown mode", edits: []string{"mode: enforce", "mode: Enforce"},
			want: []at{{"headroom.yaml", 7, "spec.targets[0].mode"}}},
		{name: "database not PostgreSQL", edits: []string{"spec:\n", "spec:\n  database: mysql://root:secret@db/headroom\n"},
			want: []at{{"headroom.yaml", 5, "spec.database"}}},
		{name: "lease shorter than two loops", edits: []string{"spec:\n", "spec:\n  loopInterval: 10s\n  leaseDuration: 15s\n"},
			want: []at{{"headroom.yaml", 6, "spec.leaseDuration"}}},
		{name: "negative shard count", edits: []string{"spec:\n", "spec:\n  shards: -1\n"},
			want: []at{{"headroom.yaml", 5, "spec.shards"}}},
		{name: "bare number as loopInterval", edits: []string{"spec:\n", "spec:\n  loopInterval: 15\n"},
			want: []at{{"headroom.yaml", 5, "spec.loopInterval"}}},
		{name: "loopInterval not whole seconds", edits: []string{"spec:\n", "spec:\n  loopInterval: 1500ms\n"},
			want: []at{{"headroom.yaml", 5, "spec.loopInterval"}}},
		{name: "bare number as a prometheus timeout", edits: []string{"      demand:", "      timeout: 5\n      demand:"},
			want: []at{{"headroom.yaml", 12, "spec.targets[0].prometheus.timeout"}}},
		{name: "bare number as a command timeout", edits: []string{"    command:\n", "    command:\n      timeout: 30\n"},
			want: []at{{"headroom.yaml", 14, "spec.targets[0].command.timeout"}}},
		{name: "missing service file", edits: []string{"service: service.yaml", "service: missing.yaml"},
			want: []at{{"headroom.yaml", 8, "spec.targets[0].service"}}, is: fs.ErrNotExist},
		{name: "policy file with its own error: both lines reported", edits: []string{"policy: policy.yaml", "policy: deploy/bad.yaml"},
			files: map[string]string{"deploy/bad.yaml": "apiVersion: headroom.dev/v1alpha1\nkind: ScalingPolicy\nspec:\n  minInstances: 2\n  maxInstance: 10\n"},
			want:  []at{{"headroom.yaml", 9, "spec.targets[0].policy"}, {"bad.yaml", 5, "spec.maxInstance"}, {"bad.yaml", 4, "spec.maxInstances"}}},
		{name: "service file that is a policy", edits: []string{"service: service.yaml", "service: policy.yaml"},
			want: []at{{"headroom.yaml", 8, "spec.targets[0].service"}, {"policy.yaml", 0, "kind"}}},
		{name: "unknown policy format", edits: []string{"    policy: policy.yaml\n", "    policy: policy.yaml\n    policyFormat: helm\n"},
			want: []at{{"headroom.yaml", 10, "spec.targets[0].policyFormat"}}},
		{name: "forced policy format the file does not match", edits: []string{"    policy: policy.yaml\n", "    policy: policy.yaml\n    policyFormat: hpa\n"},
			want: []at{{"headroom.yaml", 9, "spec.targets[0].policy"}, {"policy.yaml", 1, "format"}}},
		{name: "missing command in shadow mode", edits: []string{"    mode: enforce\n", "", "    command:\n      scale: [scale.sh, \"{{desired}}\"]\n", ""},
			want: []at{{"headroom.yaml", 6, "spec.targets[0].command"}}},
		{name: "empty scale", edits: []string{`scale: [scale.sh, "{{desired}}"]`, "scale: []"},
			want: []at{{"headroom.yaml", 14, "spec.targets[0].command.scale"}}},
		{name: "negative retries", edits: []string{"    command:\n", "    command:\n      retries: -1\n"},
			want: []at{{"headroom.yaml", 14, "spec.targets[0].command.retries"}}},
		{name: "margin given in percent", edits: []string{"    prometheus:\n", "    guards: {margin: 10}\n    prometheus:\n"},
			want: []at{{"headroom.yaml", 10, "spec.targets[0].guards.margin"}}},
		{name: "bad name", edits: []string{"name: web", "name: Web_1"},
			want: []at{{"headroom.yaml", 6, "spec.targets[0].name"}}},
		{name: "no targets", edits: []string{"  targets:\n", "  targets: []\n  old:\n"},
			want: []at{{"headroom.yaml", 6, "spec.old"}, {"headroom.yaml", 5, "spec.targets"}}},
		{name: "not a config", edits: []string{"kind: Config", "kind: ScalingPolicy"},
			want: []at{{"headroom.yaml", 2, "kind"}}},
		{name: "wrong type: scale as a string", edits: []string{`scale: [scale.sh, "{{desired}}"]`, `scale: "scale.sh {{desired}}"`},
			want: []at{{"headroom.yaml", 14, ""}}},
		{name: "every problem at once", edits: []string{
			"    mode: enforce", "    mood: enforce",
			"http://127.0.0.1:9090", "localhost:9090",
			"      demand: sum(rate(http_requests_total[1m]))\n", "",
			"service: service.yaml", "service: missing.yaml"},
			want: []at{{"headroom.yaml", 7, "spec.targets[0].mood"}, {"headroom.yaml", 8, "spec.targets[0].service"},
				{"headroom.yaml", 11, "spec.targets[0].prometheus.url"}, {"headroom.yaml", 10, "spec.targets[0].prometheus.demand"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			files := fixtures(t)
			for name, content := range tt.files {
				files[name] = content
			}
			files["headroom.yaml"] = edit(t, tt.edits...)
			writeFiles(t, dir, files)

			cfg, err := Load(filepath.Join(dir, "headroom.yaml"))
			if err == nil {
				t.Fatalf("got config %+v, want errors", cfg)
			}
			list := inputErrors(t, err)
			var got []at
			for _, e := range list {
				got = append(got, at{filepath.Base(e.File), e.Line, e.Field})
				if e.Expected == "" {
					t.Errorf("%v: says nothing of what was expected", e)
				}
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got errors at %v, want %v\n%v", got, tt.want, err)
			}
			if tt.is != nil && !errors.Is(list[0], tt.is) {
				t.Errorf("got %v, want it to wrap %v", list[0], tt.is)
			}
		})
	}
}

// inputErrors returns err as a list of input errors, failing the test when
// it is not one.
func inputErrors(t testing.TB, err error) headroom.InputErrors {
	t.Helper()
	list := headroom.AsInputErrors(err)
	if len(list) == 0 {
		t.Fatalf("got %T %v, want input errors", err, err)
	}
	return list
}

// Regression guard for the messages users read: the referencing error
// names the target, and guard mode says why it is refused.
func TestErrorMessages(t *testing.T) {
	dir := t.TempDir()
	files := fixtures(t)
	files["headroom.yaml"] = strings.Replace(strings.Replace(base, "mode: enforce", "mode: guard", 1), "service: service.yaml", "service: missing.yaml", 1)
	files["headroom.yaml"] = strings.Replace(files["headroom.yaml"], "policy: policy.yaml", "policy: bad.yaml", 1)
	files["bad.yaml"] = "apiVersion: headroom.dev/v1alpha1\nkind: ScalingPolicy\nspec:\n  minInstances: 2\n"
	writeFiles(t, dir, files)
	_, err := Load(filepath.Join(dir, "headroom.yaml"))
	msg := err.Error()
	for _, want := range []string{
		"headroom.yaml:7: spec.targets[0].mode: got \"guard\", expected enforce, shadow or off with a command actuator: guard mode holds an HPA's minReplicas",
		"needs a kubernetes actuator with hpa",
		"headroom.yaml:8: spec.targets[0].service: got \"missing.yaml\", expected a readable headroom Service file",
		"headroom.yaml:9: spec.targets[0].policy: got \"bad.yaml\", expected a valid policy file: target \"web\" references",
		"bad.yaml:4: spec.maxInstances",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("message lacks %q:\n%s", want, msg)
		}
	}
}

func TestSharedFileReportedOnce(t *testing.T) {
	dir := t.TempDir()
	files := fixtures(t)
	files["bad-service.yaml"] = "apiVersion: headroom.dev/v1alpha1\nkind: Service\nspec:\n  capacityPerInstance: -1\n  startupDelay: 1s\n  baseLatency: 1ms\n  requestTimeout: 1s\n  slo: {maxErrorRatio: 0.01, maxLatency: 1s}\n"
	files["headroom.yaml"] = strings.Replace(base, "service: service.yaml", "service: bad-service.yaml", 1) +
		strings.Replace(strings.Replace(base[strings.Index(base, "  - name: web"):], "name: web", "name: api", 1), "service: service.yaml", "service: bad-service.yaml", 1)
	writeFiles(t, dir, files)
	_, err := Load(filepath.Join(dir, "headroom.yaml"))
	var got []at
	for _, e := range inputErrors(t, err) {
		got = append(got, at{filepath.Base(e.File), e.Line, e.Field})
	}
	want := []at{{"headroom.yaml", 8, "spec.targets[0].service"}, {"bad-service.yaml", 4, "spec.capacityPerInstance"},
		{"headroom.yaml", 17, "spec.targets[1].service"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got errors at %v, want %v\n%v", got, want, err)
	}
}

func TestNotYAML(t *testing.T) {
	for _, tt := range []struct {
		name string
		data string
		line int
	}{
		{"empty file", "", 1},
		{"syntax error", "apiVersion: headroom.dev/v1alpha1\nkind: Config\nspec: targets: []\n", 3},
		{"a list, not a mapping", "- a\n- b\n", 1},
		{"two documents", base + "---\n" + base, 16},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("headroom.yaml", []byte(tt.data))
			list := inputErrors(t, err)
			if list[0].Line != tt.line {
				t.Errorf("got line %d, want %d: %v", list[0].Line, tt.line, err)
			}
		})
	}
}

func TestLoadUnreadable(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "headroom.yaml"))
	if list := inputErrors(t, err); !errors.Is(list[0], fs.ErrNotExist) {
		t.Errorf("got %v, want a not-exist input error", err)
	}
	if _, err := Load(t.TempDir()); err == nil {
		t.Error("a directory was read as a config")
	}
}

func FuzzParse(f *testing.F) {
	files := fixtures(f)
	seed, err := os.ReadFile("testdata/headroom.yaml")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(seed)
	f.Add([]byte(base))
	// spec.page.visibility, access and private, beside a target.
	f.Add([]byte(base + strings.TrimPrefix(privatePage, "apiVersion: headroom.dev/v1alpha1\nkind: Config\nspec:\n")))
	// read serves the fixtures only: a fuzzed path must not reach the disk
	// (/dev/zero would never end).
	read := func(path string) ([]byte, error) {
		if dir, name := filepath.Split(path); dir == "fuzz/" {
			if s, ok := files[name]; ok {
				return []byte(s), nil
			}
		}
		return nil, fs.ErrNotExist
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := parse("fuzz/headroom.yaml", data, read)
		if err != nil {
			if code := headroom.ErrorCode(err); code != headroom.EINVALID {
				t.Fatalf("error of code %s: %v", code, err)
			}
			return
		}
		if len(cfg.Targets) == 0 || cfg.LoopInterval < time.Second || !filepath.IsAbs(cfg.DataDir) || !filepath.IsAbs(cfg.Path) {
			t.Fatalf("accepted %+v", cfg)
		}
		for _, tg := range cfg.Targets {
			if !nameRE.MatchString(tg.Name) || tg.Service == nil || tg.Policy == nil || tg.Prometheus == nil ||
				(tg.Command == nil && tg.Mode != headroom.ModeOff) || (tg.Mode != headroom.ModeEnforce && tg.Mode != headroom.ModeShadow && tg.Mode != headroom.ModeOff) {
				t.Fatalf("accepted target %+v", tg)
			}
		}
	})
}

func TestLoadKubernetesGuard(t *testing.T) {
	dir := t.TempDir()
	files := fixtures(t)
	files["headroom.yaml"] = strings.NewReplacer("mode: enforce", "mode: guard",
		kubeFrom, "    kubernetes:\n      kubeconfig: kube/config\n      namespace: shop\n      statefulSet: web\n      hpa: web\n      timeout: 5s\n      retries: 0").Replace(base)
	writeFiles(t, dir, files)
	cfg, err := Load(filepath.Join(dir, "headroom.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	got := cfg.Targets[0]
	want := &Kubernetes{Kubeconfig: filepath.Join(dir, "kube/config"), Namespace: "shop", Kind: KindStatefulSet, Name: "web", HPA: "web",
		Timeout: 5 * time.Second, Retries: -1}
	if got.Mode != headroom.ModeGuard || got.Command != nil || !reflect.DeepEqual(got.Kubernetes, want) {
		t.Errorf("got mode %s, command %v, kubernetes %+v; want guard, none, %+v", got.Mode, got.Command, got.Kubernetes, want)
	}
}

func TestDatabaseAndLease(t *testing.T) {
	dir := t.TempDir()
	files := fixtures(t)
	files["headroom.yaml"] = strings.Replace(base, "spec:\n", "spec:\n  database: postgres://headroom@db/headroom\n  loopInterval: 5s\n", 1)
	writeFiles(t, dir, files)
	cfg, err := Load(filepath.Join(dir, "headroom.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Database != "postgres://headroom@db/headroom" || cfg.LeaseDuration != 15*time.Second {
		t.Errorf("database %q, lease %s; want the URL and 3 loops (15s)", cfg.Database, cfg.LeaseDuration)
	}
	// The refusal does not echo a URL that may hold a password.
	files["headroom.yaml"] = strings.Replace(base, "spec:\n", "spec:\n  database: mysql://root:secret@db/headroom\n", 1)
	writeFiles(t, dir, files)
	if _, err := Load(filepath.Join(dir, "headroom.yaml")); err == nil || strings.Contains(err.Error(), "secret") {
		t.Errorf("got %v; want an error that does not show the password", err)
	}
}

const pageOnly = `apiVersion: headroom.dev/v1alpha1
kind: Config
spec:
  page:
    name: Bitbucket
    url: https://bitbucket.status.example.com
    components:
    - name: Website and API
    - name: Git
      description: Pushes and pulls
      components:
      - name: Git via SSH
      - {id: git-https, name: Git via HTTPS}
`

// A config with a status page and no target is a status page only.
func TestLoadPage(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"headroom.yaml": pageOnly})
	cfg, err := Load(filepath.Join(dir, "headroom.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	want := &Page{ID: "bitbucket", Name: "Bitbucket", URL: "https://bitbucket.status.example.com", TimeZone: "UTC",
		Groups: []PageGroup{{ID: "git", Name: "Git", Description: "Pushes and pulls"}},
		Components: []PageComponent{{ID: "website-and-api", Name: "Website and API"},
			{ID: "git-via-ssh", Name: "Git via SSH", Group: "git"}, {ID: "git-https", Name: "Git via HTTPS", Group: "git"}}}
	if !reflect.DeepEqual(cfg.Page, want) || len(cfg.Targets) != 0 {
		t.Errorf("got %+v and %d targets, want %+v and none", cfg.Page, len(cfg.Targets), want)
	}
}

func TestPageErrors(t *testing.T) {
	for _, tt := range []struct {
		name, old, new string
		want           at
	}{
		{"no name", "    name: Bitbucket\n", "", at{"headroom.yaml", 4, "spec.page.name"}},
		{"same id twice", "      - name: Git via SSH\n", "      - name: Git via SSH\n      - name: git via ssh\n", at{"headroom.yaml", 13, "spec.page.components[1].components[1].name"}},
		{"groups one level deep", "      - name: Git via SSH\n", "      - name: Git via SSH\n        components: [{name: deeper}]\n", at{"headroom.yaml", 13, "spec.page.components[1].components[0].components"}},
		{"bad time zone", "    url:", "    timeZone: Mars/Olympus\n    url:", at{"headroom.yaml", 6, "spec.page.timeZone"}},
		{"a language the page does not speak", "    url:", "    language: pt-BR\n    url:", at{"headroom.yaml", 6, "spec.page.language"}},
		{"not a language tag", "    url:", "    language: Deutsch!\n    url:", at{"headroom.yaml", 6, "spec.page.language"}},
		{"bad id", "{id: git-https,", "{id: Git_HTTPS,", at{"headroom.yaml", 13, "spec.page.components[1].components[1].id"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if !strings.Contains(pageOnly, tt.old) {
				t.Fatalf("no %q", tt.old)
			}
			dir := t.TempDir()
			writeFiles(t, dir, map[string]string{"headroom.yaml": strings.Replace(pageOnly, tt.old, tt.new, 1)})
			_, err := Load(filepath.Join(dir, "headroom.yaml"))
			if err == nil {
				t.Fatal("no error")
			}
			list := inputErrors(t, err)
			if got := (at{filepath.Base(list[0].File), list[0].Line, list[0].Field}); len(list) != 1 || got != tt.want {
				t.Errorf("got %v, want one error at %v", err, tt.want)
			}
		})
	}
}

// withIncident is pageOnly with a target whose alerts open incidents on the
// page, and an Alertmanager pair.
const withIncident = pageOnly + `  alertmanager:
    urls: [http://am-0:9093, http://am-1:9093]
    labels: {team: web}
  targets:
  - name: web
    service: service.yaml
    policy: policy.yaml
    prometheus: {url: "http://127.0.0.1:9090", demand: "sum(rate(x[1m]))"}
    command: {scale: [/bin/true]}
    incident:
      components: [website-and-api]
      service: website and API services
      monitorAfter: 10m
      impact:
      - {errorRatio: 0.3, status: major_outage}
      - {latency: 2s, status: degraded_performance}
      templates:
        investigating: "We are looking into errors on the {{.Service}}."
`

func TestLoadIncidentAndAlertmanager(t *testing.T) {
	dir := t.TempDir()
	files := fixtures(t)
	files["headroom.yaml"] = withIncident
	writeFiles(t, dir, files)
	cfg, err := Load(filepath.Join(dir, "headroom.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	wantAM := &Alertmanager{URLs: []string{"http://am-0:9093", "http://am-1:9093"}, Labels: map[string]string{"team": "web"}}
	if !reflect.DeepEqual(cfg.Alertmanager, wantAM) {
		t.Errorf("alertmanager: got %+v, want %+v", cfg.Alertmanager, wantAM)
	}
	want := &Incident{Components: []string{"website-and-api"}, Service: "website and API services", Publish: PublishAuto, MonitorAfter: 10 * time.Minute,
		Impact:    []Impact{{ErrorRatio: 0.3, Status: "major_outage"}, {Latency: 2 * time.Second, Status: "degraded_performance"}},
		Templates: Templates{Investigating: "We are looking into errors on the {{.Service}}."}}
	if got := cfg.Targets[0].Incident; !reflect.DeepEqual(got, want) {
		t.Errorf("incident: got %+v, want %+v", got, want)
	}
}

func TestIncidentDraftLoads(t *testing.T) {
	dir := t.TempDir()
	files := fixtures(t)
	files["headroom.yaml"] = strings.Replace(withIncident, "      service: website", "      publish: draft\n      service: website", 1)
	writeFiles(t, dir, files)
	cfg, err := Load(filepath.Join(dir, "headroom.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.Targets[0].Incident.Publish; got != PublishDraft {
		t.Errorf("publish: got %q, want %q", got, PublishDraft)
	}
}

func TestIncidentErrors(t *testing.T) {
	for _, tt := range []struct {
		name, old, new string
		want           at
	}{
		{"component not on the page", "components: [website-and-api]", "components: [website]", at{"headroom.yaml", 24, "spec.targets[0].incident.components[0]"}},
		{"unknown publish mode", "      service: website", "      publish: later\n      service: website", at{"headroom.yaml", 25, "spec.targets[0].incident.publish"}},
		{"bad status", "status: major_outage", "status: down", at{"headroom.yaml", 28, "spec.targets[0].incident.impact[0].status"}},
		{"bad template", "{{.Service}}.\"", "{{.Service}.\"", at{"headroom.yaml", 31, "spec.targets[0].incident.templates.investigating"}},
		{"bad alertmanager url", "http://am-1:9093", "am-1:9093", at{"headroom.yaml", 15, "spec.alertmanager.urls[1]"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if !strings.Contains(withIncident, tt.old) {
				t.Fatalf("no %q", tt.old)
			}
			dir := t.TempDir()
			files := fixtures(t)
			files["headroom.yaml"] = strings.Replace(withIncident, tt.old, tt.new, 1)
			writeFiles(t, dir, files)
			_, err := Load(filepath.Join(dir, "headroom.yaml"))
			if err == nil {
				t.Fatal("no error")
			}
			list := inputErrors(t, err)
			if got := (at{filepath.Base(list[0].File), list[0].Line, list[0].Field}); len(list) != 1 || got != tt.want {
				t.Errorf("got %v, want one error at %v", err, tt.want)
			}
		})
	}
}
