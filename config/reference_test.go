package config

import (
	"os"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/headroomhq/headroom/internal/yamlnode"
)

// reference is the configuration reference this test keeps true.
const reference = "../docs/CONFIG.md"

// yamlFields returns every field name headroom.yaml may hold, from the
// YAML structs Load decodes (what CheckFields accepts).
func yamlFields(t reflect.Type, seen map[reflect.Type]bool, into map[string]bool) {
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Map {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct || seen[t] || t == reflect.TypeOf(yamlnode.Duration{}) {
		return
	}
	seen[t] = true
	for f := range t.Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "" || name == "-" {
			continue
		}
		into[name] = true
		yamlFields(f.Type, seen, into)
	}
}

// Every field of headroom.yaml is in docs/CONFIG.md, so that the
// reference cannot fall behind the code: a new field fails this test until
// it is documented.
func TestConfigReferenceNamesEveryField(t *testing.T) {
	data, err := os.ReadFile(reference)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(data)
	fields := map[string]bool{}
	yamlFields(reflect.TypeOf(document{}), map[reflect.Type]bool{}, fields)
	if len(fields) < 50 {
		t.Fatalf("found %d fields in the YAML structs; expected every one of headroom.yaml's (about 60)", len(fields))
	}
	var missing []string
	for name := range fields {
		// As a field of a table (`name`) or of a path (`webhooks.allowPrivate`).
		if !strings.Contains(doc, "`"+name+"`") && !strings.Contains(doc, "."+name+"`") && !strings.Contains(doc, "`"+name+".") {
			missing = append(missing, name)
		}
	}
	slices.Sort(missing)
	if len(missing) > 0 {
		t.Errorf("docs/CONFIG.md does not name these fields of headroom.yaml: %v", missing)
	}
}

// The complete example of docs/CONFIG.md is a valid config: the files it
// references are stood in for by a minimal service and policy.
func TestConfigReferenceExampleLoads(t *testing.T) {
	data, err := os.ReadFile(reference)
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile("(?s)## A complete example\n\n```yaml\n(.*?)```").FindSubmatch(data)
	if m == nil {
		t.Fatal("docs/CONFIG.md has no complete example in a yaml block")
	}
	const service = `apiVersion: headroom.dev/v1alpha1
kind: Service
metadata: {name: web}
spec:
  capacityPerInstance: 100
  startupDelay: 1m
  baseLatency: 50ms
  requestTimeout: 10s
  slo: {maxErrorRatio: 0.001, maxLatency: 250ms, window: 1m}
`
	const policy = `apiVersion: headroom.dev/v1alpha1
kind: ScalingPolicy
metadata: {name: web}
spec:
  minInstances: 2
  maxInstances: 20
  targetTracking: {metric: cpu, target: 60}
`
	read := func(path string) ([]byte, error) {
		if strings.Contains(path, "service") {
			return []byte(service), nil
		}
		return []byte(policy), nil
	}
	cfg, err := parse("/etc/headroom/headroom.yaml", m[1], read)
	if err != nil {
		t.Fatalf("the example of docs/CONFIG.md: %v", err)
	}
	if len(cfg.Targets) != 2 || cfg.Page == nil || cfg.Alertmanager == nil || cfg.Targets[0].Incident == nil {
		t.Errorf("the example loads as %d targets, page %v, alertmanager %v; want two targets with an incident, a page and an Alertmanager",
			len(cfg.Targets), cfg.Page != nil, cfg.Alertmanager != nil)
	}
}
