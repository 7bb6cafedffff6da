package config

import (
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/headroomhq/headroom"
	"github.com/headroomhq/headroom/incident"
	"github.com/headroomhq/headroom/internal/inputfile"
	"github.com/headroomhq/headroom/internal/yamlnode"
	"github.com/headroomhq/headroom/policy"
	"github.com/headroomhq/headroom/policy/dialect"
	"github.com/headroomhq/headroom/statuspage/i18n"
	"go.yaml.in/yaml/v3"
)

// APIVersion and Kind identify a config document.
const (
	APIVersion = policy.APIVersion
	Kind       = "Config"
)

// document is headroom.yaml as written.
type document struct {
	APIVersion string            `yaml:"apiVersion"`
	Kind       string            `yaml:"kind"`
	Metadata   yamlnode.Metadata `yaml:"metadata"`
	Spec       *specYAML         `yaml:"spec"`
}

type specYAML struct {
	DataDir       *string           `yaml:"dataDir"`
	Database      string            `yaml:"database"`
	LoopInterval  yamlnode.Duration `yaml:"loopInterval"`
	LeaseDuration yamlnode.Duration `yaml:"leaseDuration"`
	Shards        *int              `yaml:"shards"`
	Targets       []targetYAML      `yaml:"targets"`
	Page          *pageYAML         `yaml:"page"`
	Alertmanager  *alertmanagerYAML `yaml:"alertmanager"`
}

// alertmanagerYAML is where the detector's alerts go.
type alertmanagerYAML struct {
	URLs   []string          `yaml:"urls"`
	Labels map[string]string `yaml:"labels"`
}

// incidentYAML is how a target's alerts reach the status page.
type incidentYAML struct {
	Components   []string          `yaml:"components"`
	Service      string            `yaml:"service"`
	Publish      string            `yaml:"publish"`
	MonitorAfter yamlnode.Duration `yaml:"monitorAfter"`
	ResolveAfter yamlnode.Duration `yaml:"resolveAfter"`
	Impact       []impactYAML      `yaml:"impact"`
	Templates    *templatesYAML    `yaml:"templates"`
}

type impactYAML struct {
	ErrorRatio *float64          `yaml:"errorRatio"`
	Latency    yamlnode.Duration `yaml:"latency"`
	Status     string            `yaml:"status"`
}

type templatesYAML struct {
	Title         string `yaml:"title"`
	Investigating string `yaml:"investigating"`
	Identified    string `yaml:"identified"`
	Returned      string `yaml:"returned"`
	Monitoring    string `yaml:"monitoring"`
	Resolved      string `yaml:"resolved"`
}

type targetYAML struct {
	Name         string          `yaml:"name"`
	Mode         *string         `yaml:"mode"`
	Service      string          `yaml:"service"`
	Policy       string          `yaml:"policy"`
	PolicyFormat string          `yaml:"policyFormat"`
	Proposed     string          `yaml:"proposed"`
	Guards       *guardsYAML     `yaml:"guards"`
	Prometheus   *prometheusYAML `yaml:"prometheus"`
	Command      *commandYAML    `yaml:"command"`
	Kubernetes   *kubernetesYAML `yaml:"kubernetes"`
	Incident     *incidentYAML   `yaml:"incident"`
}

type pageYAML struct {
	Name       string           `yaml:"name"`
	URL        string           `yaml:"url"`
	TimeZone   string           `yaml:"timeZone"`
	Language   string           `yaml:"language"`
	Components []componentYAML  `yaml:"components"`
	Webhooks   *pageWebhookYAML `yaml:"webhooks"`
	// Visibility and Access: who reads the page (access.go).
	Visibility string          `yaml:"visibility"`
	Access     *pageAccessYAML `yaml:"access"`
	SMTP       *pageSMTPYAML   `yaml:"smtp"`
	// TrustedProxies are the reverse proxies in front of serve, whose
	// X-Forwarded-For names the client.
	TrustedProxies []string `yaml:"trustedProxies"`

	// MetricsInterval is how often the components' metrics are
	// collected (metrics.go).
	MetricsInterval yamlnode.Duration `yaml:"metricsInterval"`
}

// pageWebhookYAML is spec.page.webhooks.
type pageWebhookYAML struct {
	AllowPrivate bool `yaml:"allowPrivate"`
}

// componentYAML is a component, or a group when it lists components.
type componentYAML struct {
	ID          string          `yaml:"id"`
	Name        string          `yaml:"name"`
	Description string          `yaml:"description"`
	Components  []componentYAML `yaml:"components"`
	Metrics     []metricYAML    `yaml:"metrics"`
	Private     bool            `yaml:"private"`
}

type guardsYAML struct {
	Enabled *bool    `yaml:"enabled"`
	Margin  *float64 `yaml:"margin"`
}

type prometheusYAML struct {
	URL         string            `yaml:"url"`
	Demand      string            `yaml:"demand"`
	Utilization string            `yaml:"utilization"`
	ErrorRatio  string            `yaml:"errorRatio"`
	Latency     string            `yaml:"latency"`
	Window      yamlnode.Duration `yaml:"window"`
	Timeout     yamlnode.Duration `yaml:"timeout"`
}

type kubernetesYAML struct {
	Kubeconfig  string            `yaml:"kubeconfig"`
	Context     string            `yaml:"context"`
	Namespace   string            `yaml:"namespace"`
	Deployment  string            `yaml:"deployment"`
	StatefulSet string            `yaml:"statefulSet"`
	HPA         string            `yaml:"hpa"`
	Timeout     yamlnode.Duration `yaml:"timeout"`
	Retries     *int              `yaml:"retries"`
}

type commandYAML struct {
	Scale   []string          `yaml:"scale"`
	Read    []string          `yaml:"read"`
	Timeout yamlnode.Duration `yaml:"timeout"`
	Retries *int              `yaml:"retries"`
}

// Load reads and validates the config in path and every file it
// references. See the package documentation for the format.
//
// Errors: headroom.InputErrors (or one *headroom.InputError when the file
// cannot be read or is not YAML) listing every problem at once, each with
// file, line, field path, value and what was expected. The errors of a
// referenced service or policy file are included as that file's reader
// reports them, after one naming the target and line that references it.
func Load(path string) (*Config, error) {
	data, err := readFile(path)
	if err != nil {
		return nil, &headroom.InputError{File: path, Expected: "a readable config file", Err: err}
	}
	return Parse(path, data)
}

// Parse is Load for content already read; path names it in errors and
// relative paths are resolved against its directory.
func Parse(path string, data []byte) (*Config, error) {
	return parse(path, data, readFile)
}

// readFile reads a regular file of at most 16 MiB: a path to a device or a
// FIFO (a typo, /dev/stdin) would otherwise block validation forever, and
// /dev/zero or a huge file take all the memory.
func readFile(path string) ([]byte, error) {
	return inputfile.Read(path, inputfile.MaxDocumentSize)
}

// parse reads referenced files with read, which tests replace.
func parse(path string, data []byte, read func(string) ([]byte, error)) (*Config, error) {
	root, err := parseDocument(path, data)
	if err != nil {
		return nil, err
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, &headroom.InputError{File: path, Expected: "a path that can be made absolute", Err: err}
	}
	p := &parser{file: path, dir: filepath.Dir(path), root: root, read: read, reported: map[string]bool{}}
	cfg := p.config(abs)
	if cfg != nil && cfg.Page != nil {
		p.pageMetrics(cfg)
	}
	if len(p.errs) > 0 {
		return nil, p.errs
	}
	return cfg, nil
}

// parser validates one config, collecting every problem.
type parser struct {
	file string // as given, for errors
	dir  string // the directory relative paths are resolved against
	root *yaml.Node
	read func(string) ([]byte, error)
	errs headroom.InputErrors
	// reported holds the referenced files whose errors are already listed:
	// a service shared by targets is reported once.
	reported map[string]bool
	// pageComponents holds the ids of spec.page's components, nil when
	// there is no page.
	pageComponents map[string]bool
	// metrics are the components' metrics, checked once the targets
	// they name are read (metrics.go).
	metrics []pendingMetric
}

// fail records a problem at the field path ("spec.targets.0.name").
func (p *parser) fail(at, value, expected string) *headroom.InputError {
	e := &headroom.InputError{File: p.file, Line: yamlnode.Line(p.root, at, true), Field: yamlnode.Display(at), Value: value, Expected: expected}
	p.errs = append(p.errs, e)
	return e
}

func (p *parser) config(abs string) *Config {
	var doc document
	// apiVersion and kind first: another kind of document would otherwise
	// be reported as a page of unknown fields.
	_, v := yamlnode.Lookup(p.root, "apiVersion")
	if v == nil || v.Value != APIVersion {
		p.fail("apiVersion", valueOf(v), APIVersion)
		return nil
	}
	if _, v := yamlnode.Lookup(p.root, "kind"); v == nil || v.Value != Kind {
		p.fail("kind", valueOf(v), Kind+" (services and policies go in their own files, which targets reference)")
		return nil
	}
	yamlnode.CheckFields(p.file, p.root, reflect.TypeOf(doc), "", &p.errs)
	if err := p.root.Decode(&doc); err != nil {
		p.errs = append(p.errs, yamlnode.Errors(p.file, err)...)
		return nil
	}
	if doc.Spec == nil {
		p.fail("spec", "", "a spec mapping with targets")
		return nil
	}
	s := doc.Spec
	cfg := &Config{Path: abs, DataDir: filepath.Join(filepath.Dir(abs), DefaultDataDir), LoopInterval: DefaultLoopInterval}
	if s.DataDir != nil {
		switch d := *s.DataDir; {
		case strings.TrimSpace(d) == "":
			p.fail("spec.dataDir", d, "a directory for the decision store, relative to the config file's directory; "+DefaultDataDir+" when left out")
		case filepath.IsAbs(d):
			cfg.DataDir = filepath.Clean(d)
		default:
			cfg.DataDir = filepath.Join(filepath.Dir(abs), d)
		}
	}
	if l := s.LoopInterval; l.Set {
		if l.Bad || l.D < time.Second || l.D%time.Second != 0 {
			p.fail("spec.loopInterval", l.Raw, "a whole number of seconds, at least 1s, such as 15s or 1m")
		} else {
			cfg.LoopInterval = l.D
		}
	}
	if d := s.Database; d != "" {
		if !IsDatabaseURL(d) {
			// The value is not echoed: it may hold a password.
			p.fail("spec.database", "", "a PostgreSQL URL such as postgres://headroom@db.internal/headroom (left out: the SQLite file in dataDir)")
		} else {
			cfg.Database = d
		}
	}
	cfg.LeaseDuration = 3 * cfg.LoopInterval
	if l := s.LeaseDuration; l.Set {
		if l.Bad || l.D < 2*cfg.LoopInterval {
			p.fail("spec.leaseDuration", l.Raw, fmt.Sprintf("a duration of at least two loops (%s), such as %s: the leader renews it every loop", 2*cfg.LoopInterval, 3*cfg.LoopInterval))
		} else {
			cfg.LeaseDuration = l.D
		}
	}
	if n := s.Shards; n != nil {
		if *n < 0 || *n > MaxShards {
			p.fail("spec.shards", strconv.Itoa(*n), fmt.Sprintf("0 (one leader acts on every target) or a shard count up to %d, such as 64: the targets are shared among the serve processes", MaxShards))
		} else {
			cfg.Shards = *n
		}
	}
	if s.Page != nil {
		cfg.Page = p.page("spec.page", s.Page)
		p.pageComponents = map[string]bool{}
		for _, c := range cfg.Page.Components {
			p.pageComponents[c.ID] = true
		}
	}
	if a := s.Alertmanager; a != nil {
		cfg.Alertmanager = p.alertmanager("spec.alertmanager", a)
	}
	if len(s.Targets) == 0 {
		if s.Page == nil {
			p.fail("spec.targets", "", "at least one target, with name, service, policy, prometheus and command, or a status page (spec.page)")
		}
		return cfg
	}
	names := map[string]int{} // name -> index of the first target with it
	for i := range s.Targets {
		at := "spec.targets." + strconv.Itoa(i)
		t := p.target(at, &s.Targets[i])
		if name := s.Targets[i].Name; name != "" {
			if first, dup := names[name]; dup {
				p.fail(at+".name", name, fmt.Sprintf("a name no other target has: spec.targets[%d] on line %d is already %q",
					first, yamlnode.Line(p.root, "spec.targets."+strconv.Itoa(first)+".name", true), name))
			} else {
				names[name] = i
			}
		}
		cfg.Targets = append(cfg.Targets, t)
	}
	return cfg
}

var nameRE = regexp.MustCompile(`^[a-z0-9-]+$`)

func (p *parser) target(at string, s *targetYAML) *Target {
	t := &Target{Name: s.Name, Mode: headroom.ModeShadow}
	switch {
	case s.Name == "":
		p.fail(at+".name", "", "the target's name, such as web: lowercase letters, digits and -")
	case !nameRE.MatchString(s.Name):
		p.fail(at+".name", s.Name, "lowercase letters, digits and - only, such as web or api-eu")
	}
	label := s.Name
	if label == "" {
		label = yamlnode.Display(at)
	}

	if s.Mode != nil {
		if m := headroom.Mode(*s.Mode); m.Valid() {
			t.Mode = m
		} else {
			p.fail(at+".mode", *s.Mode, "enforce (decide and act), guard (the HPA scales, headroom holds its minReplicas up while a cut is unsafe), "+
				"shadow (decide and record, never act; the default) or off")
		}
	}

	format := dialect.Auto
	if s.PolicyFormat != "" {
		f, err := dialect.ParseFormat(s.PolicyFormat)
		if err != nil {
			var names []string
			for _, f := range dialect.Formats {
				names = append(names, string(f))
			}
			p.fail(at+".policyFormat", s.PolicyFormat, "one of "+strings.Join(names, ", ")+" (auto detects it from the file)")
			format = "" // the policies are not read with a format that is not one
		} else {
			format = f
		}
	}

	if s.Service == "" {
		p.fail(at+".service", "", "a headroom Service file (kind Service), relative to the config file's directory")
	} else {
		t.Service = p.service(at+".service", label, s.Service)
	}
	if s.Policy == "" {
		p.fail(at+".policy", "", "a policy file in any format check reads (headroom, hpa, keda, aws), relative to the config file's directory")
	} else if format != "" {
		pol, warnings := p.policy(at+".policy", label, s.Policy, format)
		t.Policy = pol
		t.Warnings = append(t.Warnings, warnings...)
	}
	if s.Proposed != "" && format != "" {
		pol, warnings := p.policy(at+".proposed", label, s.Proposed, format)
		t.Proposed = pol
		t.Warnings = append(t.Warnings, warnings...)
	}

	enabled, margin := true, headroom.DefaultGuardMargin
	if g := s.Guards; g != nil {
		if g.Enabled != nil {
			enabled = *g.Enabled
		}
		if g.Margin != nil {
			if m := *g.Margin; m >= 0 && m <= 1 {
				margin = m
			} else {
				p.fail(at+".guards.margin", strconv.FormatFloat(m, 'g', -1, 64), "a share between 0 and 1 of instances kept beyond what demand needs, such as 0.1 for 10%")
			}
		}
	}
	if enabled && t.Service != nil && t.Policy != nil {
		t.Guards = headroom.DefaultGuards(t.Service, t.Policy, margin)
	}

	if s.Incident != nil {
		t.Incident = p.incident(at+".incident", s.Incident)
	}

	if s.Prometheus == nil {
		p.fail(at+".prometheus", "", "a prometheus mapping with url and demand (the only metrics source for now)")
	} else {
		t.Prometheus = p.prometheus(at+".prometheus", s.Prometheus)
	}

	switch {
	case s.Command != nil && s.Kubernetes != nil:
		p.fail(at+".kubernetes", "", "one actuator: either command or kubernetes, not both")
	case s.Kubernetes != nil:
		t.Kubernetes = p.kubernetes(at+".kubernetes", t.Mode, s.Kubernetes)
	case s.Command != nil:
		t.Command = p.command(at+".command", s.Command)
		if t.Mode == headroom.ModeGuard {
			p.fail(at+".mode", string(t.Mode), "enforce, shadow or off with a command actuator: guard mode holds an HPA's minReplicas and needs a kubernetes actuator with hpa")
		}
	case t.Mode != headroom.ModeOff:
		p.fail(at+".command", "", fmt.Sprintf("an actuator, a command mapping with scale or a kubernetes mapping with namespace and deployment: mode %s reads the target's capacity through it "+
			"(shadow too, though it never scales); set mode: off to keep a target without one", t.Mode))
	}
	return t
}

// alertmanager checks where alerts go.
func (p *parser) alertmanager(at string, s *alertmanagerYAML) *Alertmanager {
	a := &Alertmanager{Labels: s.Labels}
	if len(s.URLs) == 0 {
		p.fail(at+".urls", "", "the Alertmanager addresses, such as [http://alertmanager:9093] (every member of a cluster)")
	}
	for i, u := range s.URLs {
		if v, err := url.Parse(u); err != nil || (v.Scheme != "http" && v.Scheme != "https") || v.Host == "" {
			// The value is not echoed: it may hold a password.
			p.fail(at+".urls."+strconv.Itoa(i), "", "an http or https address such as http://alertmanager:9093")
			continue
		}
		a.URLs = append(a.URLs, u)
	}
	for k := range s.Labels {
		if !labelName.MatchString(k) {
			p.fail(at+".labels", k, "label names of letters, digits and _, not starting with a digit")
		}
	}
	return a
}

var labelName = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)

// incident checks a target's incident automation: its components must be on
// the status page.
func (p *parser) incident(at string, s *incidentYAML) *Incident {
	in := &Incident{Components: s.Components, Service: s.Service, Publish: PublishAuto,
		MonitorAfter: p.duration(at+".monitorAfter", s.MonitorAfter), ResolveAfter: p.duration(at+".resolveAfter", s.ResolveAfter)}
	switch {
	case p.pageComponents == nil:
		p.fail(at, "", "a status page (spec.page) whose components the incident names")
	case len(s.Components) == 0:
		p.fail(at+".components", "", "the ids of the page's components this target serves, such as [website-and-api]")
	}
	if p.pageComponents != nil {
		for i, c := range s.Components {
			if !p.pageComponents[c] {
				p.fail(at+".components."+strconv.Itoa(i), c, "the id of a component of spec.page: "+strings.Join(sortedKeys(p.pageComponents), ", "))
			}
		}
	}
	switch s.Publish {
	case "":
	case PublishAuto, PublishDraft:
		in.Publish = s.Publish
	default:
		p.fail(at+".publish", s.Publish, "auto (the incident is published at once) or draft (a draft a person publishes with headroom incident publish ID)")
	}
	for i, r := range s.Impact {
		f := at + ".impact." + strconv.Itoa(i)
		imp := Impact{Status: r.Status, Latency: p.duration(f+".latency", r.Latency)}
		switch r.Status {
		case "degraded_performance", "partial_outage", "major_outage":
		default:
			p.fail(f+".status", r.Status, "degraded_performance, partial_outage or major_outage")
		}
		if r.ErrorRatio != nil {
			if v := *r.ErrorRatio; !(v > 0 && v <= 1) {
				p.fail(f+".errorRatio", strconv.FormatFloat(v, 'g', -1, 64), "a ratio in (0, 1], such as 0.05 for 5% of requests failing")
			} else {
				imp.ErrorRatio = v
			}
		}
		if r.ErrorRatio == nil && !r.Latency.Set {
			p.fail(f, "", "errorRatio, latency or both: what users get at which the status applies")
		}
		in.Impact = append(in.Impact, imp)
	}
	if t := s.Templates; t != nil {
		in.Templates = Templates{Title: t.Title, Investigating: t.Investigating, Identified: t.Identified, Returned: t.Returned, Monitoring: t.Monitoring, Resolved: t.Resolved}
		for name, text := range map[string]string{"title": t.Title, "investigating": t.Investigating, "identified": t.Identified,
			"returned": t.Returned, "monitoring": t.Monitoring, "resolved": t.Resolved} {
			if err := incident.ParseTemplate(name, text); err != nil {
				p.fail(at+".templates."+name, text, "a Go text/template using .Service, .Cause, .Mitigating or .Target: "+err.Error())
			}
		}
	}
	return in
}

func sortedKeys(m map[string]bool) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// kubernetes checks the Kubernetes actuator's fields; the connection is
// made by serve, so validate works without a cluster.
func (p *parser) kubernetes(at string, mode headroom.Mode, s *kubernetesYAML) *Kubernetes {
	k := &Kubernetes{Kubeconfig: s.Kubeconfig, Context: s.Context, Namespace: s.Namespace, HPA: s.HPA,
		Timeout: p.duration(at+".timeout", s.Timeout)}
	if k.Kubeconfig != "" {
		k.Kubeconfig = p.resolve(k.Kubeconfig)
	}
	if s.Namespace == "" {
		p.fail(at+".namespace", "", "the workload's namespace, such as default")
	} else if !dnsLabel().MatchString(s.Namespace) {
		p.fail(at+".namespace", s.Namespace, "a Kubernetes namespace name: lowercase letters, digits and -, at most 63")
	}
	switch {
	case s.Deployment != "" && s.StatefulSet != "":
		p.fail(at+".statefulSet", s.StatefulSet, "one workload: deployment or statefulSet, not both")
	case s.Deployment != "":
		k.Kind, k.Name = KindDeployment, s.Deployment
	case s.StatefulSet != "":
		k.Kind, k.Name = KindStatefulSet, s.StatefulSet
	default:
		p.fail(at+".deployment", "", "the name of the Deployment (or statefulSet: the StatefulSet) to scale")
	}
	if k.Name != "" && !dnsName().MatchString(k.Name) {
		field := ".deployment"
		if k.Kind == KindStatefulSet {
			field = ".statefulSet"
		}
		p.fail(at+field, k.Name, "a Kubernetes object name: lowercase letters, digits, - and ., at most 253")
	}
	switch {
	case mode == headroom.ModeGuard && s.HPA == "":
		p.fail(at+".hpa", "", "the HorizontalPodAutoscaler whose minReplicas guard mode holds")
	case s.HPA != "" && !dnsName().MatchString(s.HPA):
		p.fail(at+".hpa", s.HPA, "a Kubernetes object name: lowercase letters, digits, - and ., at most 253")
	}
	if r := s.Retries; r != nil {
		switch {
		case *r < 0:
			p.fail(at+".retries", strconv.Itoa(*r), "0 or more extra attempts after a server error")
		case *r == 0:
			k.Retries = -1
		default:
			k.Retries = *r
		}
	}
	return k
}

// Kubernetes object names: https://kubernetes.io/docs/concepts/overview/working-with-objects/names/
// The expressions with counted repeats, compiled to hundreds of states, are
// compiled by the first file that needs them, not at every program's start.
var (
	dnsLabel = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$`) })
	dnsName  = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$`) })
)

// IsDatabaseURL says whether u is a PostgreSQL URL, as spec.database (and
// serve's --db) must be.
func IsDatabaseURL(u string) bool {
	parsed, err := url.Parse(u)
	return err == nil && (parsed.Scheme == "postgres" || parsed.Scheme == "postgresql")
}

// page checks the status page: its name, and components with unique ids,
// grouped one level deep.
func (p *parser) page(at string, s *pageYAML) *Page {
	pg := &Page{ID: slug(s.Name), Name: s.Name, URL: s.URL, TimeZone: "UTC"}
	if s.Webhooks != nil {
		pg.AllowPrivateWebhooks = s.Webhooks.AllowPrivate
	}
	pg.SMTP = p.smtp(at+".smtp", s.SMTP, s.URL)
	if strings.TrimSpace(s.Name) == "" {
		p.fail(at+".name", s.Name, "the page's name, such as Bitbucket: it titles the page (\"Incident Report for Bitbucket\")")
	}
	if s.URL != "" {
		if u, err := url.Parse(s.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			p.fail(at+".url", s.URL, "the address people read the page at, such as https://status.example.com")
		}
	}
	if s.TimeZone != "" {
		if _, err := time.LoadLocation(s.TimeZone); err != nil {
			p.fail(at+".timeZone", s.TimeZone, "an IANA time zone such as UTC or America/Los_Angeles")
		} else {
			pg.TimeZone = s.TimeZone
		}
	}
	if s.Language != "" {
		if c, err := i18n.Lookup(s.Language); err != nil {
			p.fail(at+".language", s.Language, "a language the page speaks, as a BCP 47 tag: one of "+strings.Join(i18n.Supported(), ", ")+" (or a region of one, such as de-CH)")
		} else {
			pg.Language = c.Lang
		}
	}
	if len(s.Components) == 0 {
		p.fail(at+".components", "", "at least one component, such as {name: Website and API}")
	}
	pg.MetricsInterval = p.metricsInterval(at+".metricsInterval", s.MetricsInterval)
	ids := map[string]string{} // id -> field path of its first use
	// privateAt is the first component or group marked private.
	privateGroups, privateAt := map[string]bool{}, ""
	var add func(at, group string, list []componentYAML)
	add = func(at string, group string, list []componentYAML) {
		for i, c := range list {
			field := at + "." + strconv.Itoa(i)
			if strings.TrimSpace(c.Name) == "" {
				p.fail(field+".name", c.Name, "the component's name, as people will read it")
				continue
			}
			id := c.ID
			if id == "" {
				id = slug(c.Name)
			}
			if !componentID().MatchString(id) {
				p.fail(field+".id", id, "an id of lowercase letters, digits and -, such as website-and-api (the name's slug when left out)")
				continue
			}
			if first, dup := ids[id]; dup {
				p.fail(field+".name", c.Name, fmt.Sprintf("a component or group with an id no other has: %s is already %q (set id to tell them apart)",
					yamlnode.Display(first), id))
				continue
			}
			ids[id] = field
			if len(c.Components) > 0 {
				if group != "" {
					p.fail(field+".components", c.Name, "components only: groups are one level deep")
					continue
				}
				if len(c.Metrics) > 0 {
					p.fail(field+".metrics", "", "metrics on the group's components, not on the group")
				}
				pg.Groups = append(pg.Groups, PageGroup{ID: id, Name: c.Name, Description: c.Description})
				privateGroups[id] = c.Private
				if c.Private && privateAt == "" {
					privateAt = field + ".private"
				}
				add(field+".components", id, c.Components)
				continue
			}
			private := c.Private || privateGroups[group]
			if c.Private && privateAt == "" {
				privateAt = field + ".private"
			}
			pg.Components = append(pg.Components, PageComponent{ID: id, Name: c.Name, Description: c.Description, Group: group, Private: private})
			if private && len(c.Metrics) > 0 {
				// The system metrics are not split by audience yet.
				p.fail(field+".metrics", "", "no metrics on a private component: the system metrics pages and JSON are public")
			}
			for j, m := range c.Metrics {
				p.metrics = append(p.metrics, pendingMetric{at: field + ".metrics." + strconv.Itoa(j), component: len(pg.Components) - 1, m: m})
			}
		}
	}
	add(at+".components", "", s.Components)
	pg.Access = p.pageAccess(at, s, privateAt)
	pg.TrustedProxies = p.prefixes(at+".trustedProxies", s.TrustedProxies)
	return pg
}

var componentID = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-z0-9]([-a-z0-9]{0,62})$`) })

// slug makes an id of a name: "Website and API" → website-and-api.
func slug(name string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(name) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
			dash = false
		case !dash && b.Len() > 0:
			b.WriteByte('-')
			dash = true
		}
	}
	return strings.TrimSuffix(b.String(), "-")
}

// resolve makes a referenced path relative to the config file's directory.
func (p *parser) resolve(ref string) string {
	if filepath.IsAbs(ref) {
		return ref
	}
	return filepath.Join(p.dir, ref)
}

// service reads the Service file referenced at path "at".
func (p *parser) service(at, target, ref string) *headroom.Service {
	file := p.resolve(ref)
	data, err := p.read(file)
	if err != nil {
		p.fail(at, ref, "a readable headroom Service file, relative to the config file's directory").Err = err
		return nil
	}
	f, err := policy.Parse(file, data)
	if err == nil && len(f.Services) != 1 {
		err = &headroom.InputError{File: file, Field: "kind", Expected: fmt.Sprintf("exactly one document of kind %s, found %d", policy.KindService, len(f.Services))}
	}
	if err != nil {
		p.referenced(at, target, ref, file, "headroom Service file", err)
		return nil
	}
	return f.Services[0]
}

// policy reads the policy file referenced at path "at".
func (p *parser) policy(at, target, ref string, format dialect.Format) (*headroom.Policy, []string) {
	file := p.resolve(ref)
	data, err := p.read(file)
	if err != nil {
		p.fail(at, ref, "a readable policy file, relative to the config file's directory").Err = err
		return nil, nil
	}
	pol, warnings, err := dialect.ParsePolicy(file, data, format)
	if err != nil {
		p.referenced(at, target, ref, file, "policy file", err)
		return nil, nil
	}
	return pol, warnings
}

// referenced records the errors of a referenced file as its reader
// reported them, after one at the line that references it.
func (p *parser) referenced(at, target, ref, file, what string, err error) {
	e := p.fail(at, ref, fmt.Sprintf("a valid %s: target %q references %s, whose problems are listed with their own lines", what, target, file))
	if p.reported[file] {
		return
	}
	p.reported[file] = true
	var list headroom.InputErrors
	var one *headroom.InputError
	switch {
	case errors.As(err, &list):
		p.errs = append(p.errs, list...)
	case errors.As(err, &one):
		p.errs = append(p.errs, one)
	default:
		e.Err = err // not an input error: keep it on the referencing line
	}
}

func (p *parser) prometheus(at string, s *prometheusYAML) *Prometheus {
	const example = "the address of a Prometheus server, such as http://127.0.0.1:9090"
	if s.URL == "" {
		p.fail(at+".url", "", example)
	} else if u, err := url.Parse(s.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		p.fail(at+".url", s.URL, "an http or https URL with a host: "+example)
	}
	if strings.TrimSpace(s.Demand) == "" {
		p.fail(at+".demand", s.Demand, `a PromQL expression giving the target's requests/s, such as sum(rate(http_requests_total{job="web"}[1m]))`)
	}
	return &Prometheus{URL: s.URL, Demand: s.Demand, Utilization: s.Utilization, ErrorRatio: s.ErrorRatio, Latency: s.Latency,
		Window: p.duration(at+".window", s.Window), Timeout: p.duration(at+".timeout", s.Timeout)}
}

func (p *parser) command(at string, s *commandYAML) *Command {
	c := &Command{Scale: s.Scale, Read: s.Read, Timeout: p.duration(at+".timeout", s.Timeout),
		Field: yamlnode.Display(at), Line: yamlnode.Line(p.root, at, true)}
	switch {
	case len(s.Scale) == 0:
		p.fail(at+".scale", "", `the command that sets the capacity, as a list of arguments such as ["aws", "ecs", "update-service", "--desired-count", "{{desired}}"]`)
	case strings.TrimSpace(s.Scale[0]) == "":
		p.fail(at+".scale.0", s.Scale[0], "the program to run, a name on $PATH or a path")
	}
	if len(s.Read) > 0 && strings.TrimSpace(s.Read[0]) == "" {
		p.fail(at+".read.0", s.Read[0], "the program to run, a name on $PATH or a path")
	}
	if r := s.Retries; r != nil {
		switch {
		case *r < 0:
			p.fail(at+".retries", strconv.Itoa(*r), "0 or more extra attempts after a failure")
		case *r == 0:
			c.Retries = -1 // exec.Config reads zero as its default
		default:
			c.Retries = *r
		}
	}
	// What is left to check (placeholders) is the actuator's own rule:
	// whoever builds the actuator asks it (config describes, it imports
	// no adapter), and reports at Field and Line.
	return c
}

// duration checks an optional duration; zero when it is not written.
func (p *parser) duration(at string, d yamlnode.Duration) time.Duration {
	if d.Bad || (d.Set && d.D == 0) {
		why := d.Problem()
		if why == "" {
			why = "zero"
		}
		p.fail(at, d.Raw, "a positive duration with its unit, such as 500ms, 30s or 2m ("+why+")")
		return 0
	}
	return d.D
}

// valueOf is the text of a scalar node, or "" for none.
func valueOf(n *yaml.Node) string {
	if n == nil || n.Kind != yaml.ScalarNode {
		return ""
	}
	return n.Value
}
