package headroom_test

import (
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// module is this module's path; the tables below name its packages
// relative to it ("." is the root).
const module = "github.com/headroomhq/headroom"

// allowedImports is docs/ARCHITECTURE.md's dependency rule as a table: for
// every package of the module, the module packages its non-test files may
// import. Arrows point one way, towards the root: the root imports nothing
// of the module, the readers and the engine only the root and their own
// helpers, the simulator drives the engine, check drives the simulator,
// adapters (actuator/..., metrics/prom, alert/alertmanager, store/...)
// import the root and never each other, and the packages that wire
// adapters together are cmd/headroom and the demo.
//
// A new package, or a new arrow, is an architecture decision: add its row
// here, and to ARCHITECTURE.md, in the same change.
var allowedImports = map[string][]string{
	".": nil,

	// Vocabulary readers and pure computation.
	"schedule":       {"."},
	"queueing":       nil,
	"traffic":        {".", "internal/inputfile"},
	"policy":         {".", "internal/inputfile", "internal/yamlnode", "schedule"},
	"policy/aws":     {".", "internal/suggest", "schedule"},
	"policy/hpa":     {".", "internal/suggest", "internal/yamlnode", "policy"},
	"policy/keda":    {".", "policy", "policy/hpa", "schedule"},
	"policy/dialect": {".", "internal/inputfile", "policy", "policy/aws", "policy/hpa", "policy/keda"},
	"engine":         {".", "schedule"},
	"detect":         {"."},
	"sim":            {".", "detect", "engine", "queueing"},
	"sim/world":      {".", "sim"},
	"check":          {".", "detect", "engine", "internal/numfmt", "sim"},
	"recommend":      {".", "check", "engine", "schedule", "sim"},
	"report":         {".", "check", "internal/chart", "internal/numfmt"},
	"detect/tune":    {".", "detect", "internal/yamlnode", "policy", "sim"},
	"postmortem":     {".", "incident"},
	"incident":       {"."},
	"config":         {".", "incident", "internal/inputfile", "internal/yamlnode", "policy", "policy/dialect", "statuspage/i18n"},
	"controller":     {".", "detect", "engine", "incident", "internal/chart", "postmortem"},
	"statuspage":     {".", "incident", "internal/chart", "statuspage/i18n", "statuspage/webhook"},
	// The pages' words per language: a leaf config reads to check a tag.
	"statuspage/i18n":    nil,
	"statuspage/admin":   {".", "incident", "statuspage/webhook"},
	"statuspage/webhook": {".", "incident"},
	"statuspage/email":   {"incident", "statuspage/i18n", "statuspage/webhook"},

	// Adapters: the root (and the status page's domain for the stores),
	// never one another.
	"actuator/exec":              {"."},
	"actuator/k8s":               {"."},
	"metrics/prom":               {"."},
	"alert/alertmanager":         {"."},
	"store/sqlite":               {".", "incident", "store/internal/migrations", "store/internal/rows"},
	"store/postgres":             {".", "incident", "store/internal/migrations", "store/internal/rows"},
	"store/memory":               {".", "incident"},
	"store/internal/migrations":  nil,
	"store/internal/rows":        {".", "incident"},
	"store/storetest":            {".", "incident"},
	"alert/alertmanager/amtest":  nil,
	"metrics/prom/promtest":      nil,
	"internal/kubetest":          nil,
	"internal/pgtest":            nil,
	"internal/mailtest":          nil,
	"internal/browsertest":       nil,
	"internal/policytest":        {"."},
	"internal/chart":             nil,
	"internal/htmltext":          nil,
	"internal/inputfile":         nil,
	"internal/loadtest":          nil,
	"internal/seedreport":        nil,
	"internal/suggest":           nil,
	"internal/synth":             nil,
	"internal/exampletest":       {".", "internal/synth", "policy", "traffic"},
	"internal/fleettest":         nil,
	"internal/gcfloor":           nil,
	"internal/numfmt":            nil,
	"internal/tracetest":         {".", "traffic"},
	"internal/yamlnode":          {"."},
	"queueing/internal/gentemme": nil,
	"examples":                   nil,

	// Wiring: where adapters meet.
	"demo": {".", "check", "controller", "detect", "incident", "policy", "policy/dialect", "postmortem", "sim", "sim/world",
		"statuspage", "store/sqlite", "traffic"},
	"cmd/headroom": {".", "actuator/exec", "actuator/k8s", "alert/alertmanager", "check", "config", "controller", "demo",
		"detect", "detect/tune", "examples", "incident", "internal/gcfloor", "internal/inputfile", "metrics/prom", "policy", "policy/dialect",
		"postmortem", "recommend", "report", "sim", "statuspage", "statuspage/admin", "statuspage/email", "statuspage/webhook", "store/postgres",
		"store/sqlite", "traffic"},

	// Benchmarks and tools: programs of their own.
	"bench/checkbench":   {"internal/synth", "traffic"},
	"bench/detect":       {".", "detect", "detect/tune", "policy", "sim", "traffic"},
	"bench/fixedserver":  nil,
	"bench/model":        {".", "internal/loadtest", "sim"},
	"bench/recommend":    {".", "internal/synth", "policy", "recommend", "traffic"},
	"bench/shards":       nil,
	"bench/statuswriter": {"incident", "statuspage/admin"},
	"tools/trafficgen":   {"internal/synth"},
}

// heavySDKs are the large client libraries and drivers, by module path
// prefix, with the only packages that may depend on them, directly or
// through another package: their leaf adapter, its test server, and what
// wires it. `headroom check` and the packages it uses must not drag them in.
var heavySDKs = map[string][]string{
	"k8s.io/client-go":                    {"actuator/k8s", "internal/kubetest", "cmd/headroom"},
	"github.com/jackc/pgx":                {"store/postgres", "internal/pgtest", "cmd/headroom"},
	"modernc.org/sqlite":                  {"store/sqlite", "demo", "cmd/headroom"},
	"github.com/prometheus/client_golang": {"metrics/prom", "alert/alertmanager", "controller", "demo", "cmd/headroom", "internal/fleettest"},
}

type listed struct {
	path          string // relative to module, "." for the root
	imports, deps []string
}

// goList lists the module's packages with their imports and dependencies.
func goList(t *testing.T) []listed {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("the go command is needed to list the packages: %v", err)
		}
		t.Skipf("no go command to list the packages: %v", err)
	}
	cmd := exec.Command(goTool, "list", "-e", "-f", "{{.ImportPath}}|{{join .Imports \" \"}}|{{join .Deps \" \"}}", "./...")
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	var pkgs []listed
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		parts := strings.Split(line, "|")
		if len(parts) != 3 {
			t.Fatalf("go list: unexpected line %q", line)
		}
		pkgs = append(pkgs, listed{path: rel(parts[0]), imports: strings.Fields(parts[1]), deps: strings.Fields(parts[2])})
	}
	return pkgs
}

// rel is a module package's path relative to the module, "." for the
// root, or "" for a package of another module.
func rel(p string) string {
	switch {
	case p == module:
		return "."
	case strings.HasPrefix(p, module+"/"):
		return strings.TrimPrefix(p, module+"/")
	}
	return ""
}

// isStd reports whether an import path is the standard library's: its
// first element has no dot.
func isStd(p string) bool {
	first, _, _ := strings.Cut(p, "/")
	return !strings.Contains(first, ".")
}

func TestDependenciesPointOneWay(t *testing.T) {
	pkgs := goList(t)
	if len(pkgs) < len(allowedImports)/2 {
		t.Fatalf("go list found %d packages; expected about %d", len(pkgs), len(allowedImports))
	}
	for _, p := range pkgs {
		allowed, known := allowedImports[p.path]
		if !known {
			t.Errorf("package %s is not in allowedImports: add its row (the module packages it may import) and its place in docs/ARCHITECTURE.md", p.path)
			continue
		}
		for _, imp := range p.imports {
			r := rel(imp)
			if r == "" {
				continue
			}
			if !slices.Contains(allowed, r) {
				t.Errorf("%s imports %s: not in its allowedImports row %v (dependencies point towards the root; adapters never import each other)", p.path, r, allowed)
			}
		}
		if p.path == "." {
			for _, d := range p.deps {
				if !isStd(d) {
					t.Errorf("the root package depends on %s: it imports the standard library only", d)
				}
			}
		}
		for sdk, users := range heavySDKs {
			if slices.Contains(users, p.path) {
				continue
			}
			for _, d := range p.deps {
				if d == sdk || strings.HasPrefix(d, sdk+"/") {
					t.Errorf("%s depends on %s (through %s): only %v may", p.path, sdk, d, users)
					break
				}
			}
		}
	}
}
