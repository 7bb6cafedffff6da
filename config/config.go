package config

import (
	"net/netip"
	"time"

	"github.com/headroomhq/headroom"
	"github.com/headroomhq/headroom/incident"
)

// Defaults of the fields a config leaves out.
const (
	DefaultDataDir      = "data"
	DefaultLoopInterval = 15 * time.Second
	DefaultDatabaseFile = "headroom.db"
)

// Config is a loaded, validated headroom.yaml; paths are absolute.
type Config struct {
	Path    string
	DataDir string
	// Database is a PostgreSQL URL shared by several serve processes;
	// empty for the SQLite file in DataDir.
	Database     string
	LoopInterval time.Duration
	// LeaseDuration is how long the leader's lease lasts unrenewed (3
	// loops by default): another process takes over within it after the
	// leader dies.
	LeaseDuration time.Duration
	// Shards, when above 0, shares the targets among the serve processes
	// of one database: each acts on the targets of the shards it leases
	// (docs/ARCHITECTURE.md, "Several replicas"). 0: one leader acts on
	// every target.
	Shards  int
	Targets []*Target
	// Page is the status page; nil when the file has none.
	Page *Page
	// Alertmanager is where the detector's alerts go; nil for none.
	Alertmanager *Alertmanager
}

// MaxShards bounds spec.shards: each replica renews each of its shards'
// leases every loop.
const MaxShards = 4096

// Alertmanager is a cluster of Alertmanagers (each gets every alert) and
// labels added to every alert.
type Alertmanager struct {
	URLs   []string
	Labels map[string]string
}

// Publish modes of an automated incident (incident.Publish).
const (
	// PublishAuto posts the incident on the page at once.
	PublishAuto = string(incident.PublishAuto)
	// PublishDraft opens it as a draft a person publishes.
	PublishDraft = string(incident.PublishDraft)
)

// Incident is how a target's alerts reach the status page: the
// components it serves, the customer words, when it is monitored and
// resolved, the impact rules and the texts. Zero durations and empty texts
// mean incident's defaults.
type Incident struct {
	Components                 []string
	Service                    string
	Publish                    string
	MonitorAfter, ResolveAfter time.Duration
	Impact                     []Impact
	Templates                  Templates
}

// Impact is one impact rule: at ErrorRatio or Latency, Status.
type Impact struct {
	ErrorRatio float64
	Latency    time.Duration
	Status     string
}

// Templates are the automated updates' texts (text/template).
type Templates struct {
	Title, Investigating, Identified, Returned, Monitoring, Resolved string
}

// Page is the status page's identity and structure: components in page
// order, each in a group or none.
type Page struct {
	// ID is the page's identifier in the JSON API: the name's slug.
	ID                  string
	Name, URL, TimeZone string
	Groups              []PageGroup
	Components          []PageComponent
	// AllowPrivateWebhooks (spec.page.webhooks.allowPrivate) lets
	// subscribers be internal receivers: loopback, private, link-local
	// and reserved addresses, refused otherwise when subscribing and at
	// each delivery.
	AllowPrivateWebhooks bool
	// SMTP (spec.page.smtp) is where email subscribers' mail leaves
	// from; nil when the page offers no email subscription.
	SMTP *SMTP
	// Language is the page's language, one i18n.Supported tag ("en" when
	// the file does not say).
	Language string
	// MetricsInterval (spec.page.metricsInterval) is how often the
	// components' metrics are collected; zero for the status page's
	// default.
	MetricsInterval time.Duration
	// Access is who reads what (access.go); the zero value: everyone,
	// everything.
	Access PageAccess
	// TrustedProxies (spec.page.trustedProxies) are the reverse proxies in
	// front of serve: behind them the client is the nearest address of
	// X-Forwarded-For that is not one of them, for the per-client limits
	// of the subscription form and the admin API. Empty: the connection's
	// address is the client.
	TrustedProxies []netip.Prefix
}

// PageGroup gathers components (one level).
type PageGroup struct {
	ID, Name, Description string
}

// PageComponent is one component; Group is its group's ID or "".
type PageComponent struct {
	ID, Name, Description, Group string
	// Private hides it from the public audience (private: true on it or
	// on its group).
	Private bool
	// Metrics are the charts of its "System Metrics" (metrics.go).
	Metrics []PageMetric
}

// Target is one scaled service.
type Target struct {
	Name string
	// Mode is what serve may do to the target: headroom.ModeShadow when
	// the file does not say.
	Mode     headroom.Mode
	Service  *headroom.Service
	Policy   *headroom.Policy
	Proposed *headroom.Policy // optional
	// Guards are on unless disabled; nil when disabled.
	Guards     *headroom.Guards
	Prometheus *Prometheus
	Command    *Command
	Kubernetes *Kubernetes
	// Incident tells customers through the status page; nil for none.
	Incident *Incident
	// Warnings from reading the policy files.
	Warnings []string
}

// Prometheus configures metrics/prom. Window and Timeout are zero when not
// written: the source's defaults apply.
type Prometheus struct {
	URL                                      string
	Demand, Utilization, ErrorRatio, Latency string
	Window, Timeout                          time.Duration
}

// Command configures actuator/exec, whose conventions its fields keep:
// Timeout is zero when not written (the actuator's default), and Retries is
// zero when not written (the actuator's default) and -1 for "retries: 0"
// (no retry).
type Command struct {
	Scale, Read []string
	Timeout     time.Duration
	Retries     int
	// Field and Line are where the command mapping is in the config
	// file: the actuator's own checks (its placeholders), made where it
	// is built, report there.
	Field string
	Line  int
}

// Kinds of Kubernetes workload.
const (
	KindDeployment  = "Deployment"
	KindStatefulSet = "StatefulSet"
)

// Kubernetes configures actuator/k8s. Kubeconfig is absolute, or empty for
// $KUBECONFIG, ~/.kube/config or in-cluster; Timeout and Retries keep the
// Command conventions.
type Kubernetes struct {
	Kubeconfig, Context string
	Namespace           string
	Kind, Name          string
	HPA                 string
	Timeout             time.Duration
	Retries             int
}
