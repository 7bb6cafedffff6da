package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/headroomhq/headroom"
	"github.com/headroomhq/headroom/actuator/exec"
	"github.com/headroomhq/headroom/actuator/k8s"
	"github.com/headroomhq/headroom/alert/alertmanager"
	"github.com/headroomhq/headroom/config"
	"github.com/headroomhq/headroom/controller"
	"github.com/headroomhq/headroom/detect"
	"github.com/headroomhq/headroom/incident"
	"github.com/headroomhq/headroom/internal/gcfloor"
	"github.com/headroomhq/headroom/metrics/prom"
	"github.com/headroomhq/headroom/sim"
	"github.com/headroomhq/headroom/statuspage/admin"
	"github.com/headroomhq/headroom/store/postgres"
	"github.com/headroomhq/headroom/store/sqlite"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"k8s.io/client-go/kubernetes"
)

// Main owns what `headroom serve` runs: the store and the controller. It
// is built from a config and closed by its caller.
type Main struct {
	Config     *config.Config
	DB         Store
	Controller *controller.Controller
	// Status is the status page; nil when the config has none.
	Status *StatusPage
	// Alerts delivers the detector's alerts to Alertmanager; nil when the
	// config names none.
	Alerts *alertmanager.Sender
	// alertClient is the Sender's client: a single iteration (--once, from
	// cron) leaves endsAt to Alertmanager's resolve_timeout, since it
	// cannot know when the next run resends.
	alertClient *alertmanager.Client
	// Addr is where the pages, /metrics and /healthz listen ("127.0.0.1:0"
	// in tests); empty for none. URL is set once listening.
	Addr     string
	URL      string
	registry *prometheus.Registry
	ln       net.Listener
}

// Store is what serve keeps: the decision journal, the status page, and the
// leases that let several serve processes share them.
type Store interface {
	headroom.Journal
	headroom.Leases
	incident.Store
	Close() error
}

// openStore opens cfg's PostgreSQL database, or the SQLite file in its data
// directory (created when create is set). An existing SQLite file of 0
// bytes is refused: see openStoreAllowEmpty.
func openStore(ctx context.Context, cfg *config.Config, create bool) (Store, error) {
	return openStoreAllowEmpty(ctx, cfg, create, false)
}

// openStoreAllowEmpty is openStore; allowEmpty accepts an existing SQLite
// file of 0 bytes (serve --allow-empty-db). Such a file is not a new
// database but one that lost its content (a failed copy or restore, a full
// disk): SQLite would silently start an empty store in it, and the status
// page would come up with no incidents and no admin tokens.
func openStoreAllowEmpty(ctx context.Context, cfg *config.Config, create, allowEmpty bool) (Store, error) {
	if cfg.Database != "" {
		db, err := postgres.Open(ctx, cfg.Database)
		if err != nil {
			return nil, fmt.Errorf("open store: %w", err)
		}
		return db, nil
	}
	file := filepath.Join(cfg.DataDir, config.DefaultDatabaseFile)
	if create {
		if err := os.MkdirAll(cfg.DataDir, 0o755); err != nil {
			return nil, &headroom.Error{Code: headroom.EINVALID, Message: "create data directory " + cfg.DataDir, Err: err}
		}
	} else if _, err := os.Stat(file); err != nil {
		return nil, &usageError{msg: fmt.Sprintf("no decisions yet: %s does not exist", file), hint: "headroom serve --config " + cfg.Path}
	}
	if fi, err := os.Stat(file); err == nil && fi.Mode().IsRegular() && fi.Size() == 0 && !create {
		// A reader (decisions, shadow) may look in the instant a serve
		// creates the file: nothing to read yet either way.
		return nil, &usageError{msg: fmt.Sprintf("no decisions yet: %s is empty (a serve starting, or a database that lost its content)", file),
			hint: "headroom serve --config " + cfg.Path}
	}
	if fi, err := os.Stat(file); err == nil && fi.Mode().IsRegular() && fi.Size() == 0 && !allowEmpty {
		return nil, &usageError{
			msg: fmt.Sprintf("%s exists but is empty (0 bytes): not a new database but one that lost its content (a failed copy or restore, a full disk?); "+
				"serve would start an empty store in it, with no incidents and no admin tokens. Restore it from a backup, or start afresh in it on purpose", file),
			hint: "headroom serve --allow-empty-db --config " + cfg.Path}
	}
	db, err := sqlite.Open(ctx, file)
	if err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	return db, nil
}

// where names the store for people: the SQLite file, or the PostgreSQL
// server without its password.
func where(cfg *config.Config) string {
	if cfg.Database == "" {
		return filepath.Join(cfg.DataDir, config.DefaultDatabaseFile)
	}
	if u, err := url.Parse(cfg.Database); err == nil {
		return "PostgreSQL at " + u.Redacted()
	}
	return "PostgreSQL"
}

// holder names this process in the lease: host, pid and a random part, so
// a restarted process with the same pid is a new holder.
func holder() string {
	host, _ := os.Hostname()
	var b [4]byte
	rand.Read(b[:])
	return fmt.Sprintf("%s/%d/%x", host, os.Getpid(), b)
}

// OpenMain opens the store and builds the targets' metrics sources and
// actuators, and the status page; ctx bounds the opening.
func OpenMain(ctx context.Context, cfg *config.Config, log *slog.Logger) (*Main, error) {
	return openMain(ctx, cfg, log, false)
}

// openMain is OpenMain; allowEmpty accepts an empty SQLite file (see
// openStoreAllowEmpty).
func openMain(ctx context.Context, cfg *config.Config, log *slog.Logger, allowEmpty bool) (*Main, error) {
	db, err := openStoreAllowEmpty(ctx, cfg, true, allowEmpty)
	if err != nil {
		return nil, err
	}
	m := &Main{Config: cfg, DB: db}
	var targets []*controller.Target
	clients := map[[2]string]kubernetes.Interface{}
	for _, t := range cfg.Targets {
		ct, err := buildTarget(t, clients)
		if err != nil {
			db.Close()
			return nil, err
		}
		targets = append(targets, ct)
	}
	m.Controller = controller.New(db, targets...)
	m.Controller.Interval = cfg.LoopInterval
	m.Controller.Logger = log
	m.registry = prometheus.NewRegistry()
	m.registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m.Controller.Metrics = controller.NewMetrics(m.registry)
	// One process acts at a time, whatever the store: two serve processes
	// started on one SQLite file by mistake take turns too.
	m.Controller.Leader = controller.NewLeader(db, holder(), cfg.LeaseDuration)
	if cfg.Shards > 0 {
		// The replicas share the targets: each acts on its shards'.
		m.Controller.Shards = controller.NewShards(db, m.Controller.Leader.Holder, cfg.Shards, cfg.LeaseDuration)
	}
	if cfg.Page != nil {
		if m.Status, err = openStatusPage(ctx, cfg, db, m.Controller.Leader.Holder, log); err != nil {
			db.Close()
			return nil, err
		}
		drafter := &liveDrafter{cfg: cfg, journal: db, targets: targets}
		m.Controller.Automator = &incident.Automator{Service: m.Status.Service, Logger: log, Postmortem: drafter.draft}
	}
	if a := cfg.Alertmanager; a != nil {
		client, err := alertmanager.NewClient(a.URLs...)
		if err != nil {
			db.Close()
			return nil, fmt.Errorf("spec.alertmanager: %w", err)
		}
		client.Labels = a.Labels
		client.Metrics = alertmanager.NewMetrics(m.registry)
		m.Alerts, m.alertClient = alertmanager.NewSender(client), client
		m.Alerts.Metrics, m.Alerts.Logger = client.Metrics, log
		m.Controller.Notifier = m.Alerts
	}
	return m, nil
}

// Listen opens Addr for the decisions page, /metrics and /healthz.
func (m *Main) Listen() error {
	if m.Addr == "" {
		return nil
	}
	ln, err := net.Listen("tcp", m.Addr)
	if err != nil {
		return &headroom.Error{Code: headroom.EINVALID, Message: "listen on " + m.Addr, Err: err}
	}
	m.ln, m.URL = ln, "http://"+ln.Addr().String()
	return nil
}

func (m *Main) handler() http.Handler {
	mux := http.NewServeMux()
	page := controller.NewPage(m.DB, controller.PageTargets(m.Controller.Targets), time.Now)
	page.Logger = m.Controller.Logger
	if m.Status != nil {
		// The status page is the site; the decisions are under
		// /decisions/.
		mux.Handle("/", m.Status.Site)
		mux.Handle(admin.Prefix, m.Status.Admin)
		mux.Handle("/decisions/", page)
	} else {
		mux.Handle("/", page)
	}
	mux.Handle("GET /metrics", promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{}))
	// Liveness: the process answers. Readiness: the store answers too.
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "ok") })
	mux.HandleFunc("GET /readyz", m.ready)
	if m.Status != nil {
		return statusFirst{page: m.Status.Site, mux: mux}
	}
	return mux
}

// statusFirst sends the status page's requests to it ahead of the mux:
// the page is what a crowd reads during an outage, and the mux's matching
// was 4% of the CPU of serving it (bench/README.md, issue 16). What the
// mux routes elsewhere, and any path it would clean and redirect, still
// goes through it.
type statusFirst struct {
	page, mux http.Handler
}

func (s statusFirst) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p := r.URL.Path
	muxes := p == "" || p[0] != '/' || strings.Contains(p, "//") || strings.Contains(p, "/.") ||
		strings.HasPrefix(p, strings.TrimSuffix(admin.Prefix, "/")) || strings.HasPrefix(p, "/decisions") ||
		p == "/metrics" || p == "/healthz" || p == "/readyz"
	if muxes {
		s.mux.ServeHTTP(w, r)
		return
	}
	s.page.ServeHTTP(w, r)
}

// readyTimeout bounds the store reads of /readyz.
const readyTimeout = 2 * time.Second

// ready answers /readyz: 200 when the store answers two cheap reads, one
// through each interface serve writes through (the status page's version,
// a journal state), 503 otherwise. A corrupt or unreachable database makes
// serve not ready while /healthz, liveness, stays ok: a restart would not
// fix it, taking it out of rotation does. The error goes to the log, not
// to the prober.
func (m *Main) ready(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), readyTimeout)
	defer cancel()
	_, err := m.DB.Version(ctx)
	if err == nil {
		_, _, err = m.DB.State(ctx, "", "readyz")
	}
	if err != nil {
		if log := m.Controller.Logger; log != nil {
			log.Error("not ready: the store does not answer", "store", where(m.Config), "err", err)
		}
		http.Error(w, "not ready: the store does not answer", http.StatusServiceUnavailable)
		return
	}
	fmt.Fprintln(w, "ready")
}

// execConfig is the exec actuator's configuration of a target's command.
func execConfig(target string, c *config.Command) exec.Config {
	return exec.Config{Target: target, Scale: c.Scale, Read: c.Read, Timeout: c.Timeout, Retries: c.Retries}
}

// checkAdapters asks the adapters a config names to check what is theirs
// to check (the exec actuator's placeholders) and reports what they refuse
// at its place in file, as config reports its own problems: config
// describes the adapters, it does not import them.
func checkAdapters(file string, cfg *config.Config) error {
	var bad headroom.InputErrors
	for _, t := range cfg.Targets {
		if c := t.Command; c != nil {
			if _, err := exec.New(execConfig(t.Name, c)); err != nil {
				bad = append(bad, &headroom.InputError{File: file, Line: c.Line, Field: c.Field, Expected: "a command the exec actuator accepts", Err: err})
			}
		}
	}
	return bad.Err()
}

// buildTarget makes a target's metrics source and actuator; clients holds
// the Kubernetes clients made so far, one per kubeconfig and context.
func buildTarget(t *config.Target, clients map[[2]string]kubernetes.Interface) (*controller.Target, error) {
	ct := modelTarget(t)
	if p := t.Prometheus; p != nil {
		src, err := prom.New(p.URL, prom.Queries{Demand: p.Demand, Utilization: p.Utilization, ErrorRatio: p.ErrorRatio, Latency: p.Latency})
		if err != nil {
			return nil, fmt.Errorf("target %s: %w", t.Name, err)
		}
		if p.Window > 0 {
			src.Window = p.Window
		}
		if p.Timeout > 0 {
			src.Timeout = p.Timeout
		}
		ct.Source = src
	}
	if c := t.Command; c != nil {
		act, err := exec.New(execConfig(t.Name, c))
		if err != nil {
			return nil, fmt.Errorf("target %s: %w", t.Name, err)
		}
		ct.Actuator = act
	}
	if k := t.Kubernetes; k != nil {
		key := [2]string{k.Kubeconfig, k.Context}
		client, ok := clients[key]
		if !ok {
			var err error
			if client, err = k8s.NewClient(k.Kubeconfig, k.Context); err != nil {
				return nil, fmt.Errorf("target %s: %w", t.Name, err)
			}
			clients[key] = client
		}
		act, err := k8s.New(k8s.Config{Client: client, Namespace: k.Namespace, Kind: k.Kind, Name: k.Name, HPA: k.HPA,
			Timeout: k.Timeout, Retries: k.Retries})
		if err != nil {
			return nil, fmt.Errorf("target %s: %w", t.Name, err)
		}
		ct.Actuator = act
		if k.HPA != "" {
			ct.Floor = act
		}
	}
	return ct, nil
}

// modelTarget is a target without its adapters: its policies, guards,
// detector, the service model's need and its incident automation.
func modelTarget(t *config.Target) *controller.Target {
	ct := &controller.Target{Name: t.Name, Mode: t.Mode, Policy: t.Policy, Proposed: t.Proposed, Guards: t.Guards}
	if svc := t.Service; svc != nil {
		det := detect.ForService(svc)
		det.Target = t.Name
		model := sim.NewModel(svc)
		ct.Detect, ct.Needed = &det, func(demand float64) int { return model.Required(demand, svc.SLO.MaxLatency) }
		ct.CapacityPerInstance = svc.CapacityPerInstance
	}
	if in := t.Incident; in != nil {
		ct.Incident = automation(t.Name, in)
	}
	return ct
}

// automation is a target's incident automation from its config.
func automation(target string, in *config.Incident) *incident.Automation {
	a := &incident.Automation{Target: target, Service: in.Service, Components: in.Components, Publish: incident.Publish(in.Publish),
		MonitorAfter: in.MonitorAfter, ResolveAfter: in.ResolveAfter,
		Templates: incident.Templates{Title: in.Templates.Title, Investigating: in.Templates.Investigating, Identified: in.Templates.Identified,
			Returned: in.Templates.Returned, Monitoring: in.Templates.Monitoring, Resolved: in.Templates.Resolved}}
	for _, r := range in.Impact {
		a.Impact = append(a.Impact, incident.ImpactRule{ErrorRatio: r.ErrorRatio, Latency: r.Latency, Status: incident.ComponentStatus(r.Status)})
	}
	return a
}

// Run drives the targets, and serves /metrics when listening, until ctx
// ends; once runs a single iteration.
func (m *Main) Run(ctx context.Context, once bool) error {
	if once {
		recs, err := m.Controller.Once(ctx)
		if err != nil {
			return err
		}
		if m.Alerts != nil {
			// No background sender in a single iteration: deliver now,
			// firing until Alertmanager's resolve_timeout rather than for
			// the 4 minutes a running serve resends within (a cron run
			// every 5 minutes would resolve and fire each alert again).
			m.alertClient.ValidFor = -1
			if err := m.Alerts.Once(ctx); err != nil {
				m.Controller.Logger.Warn("deliver alerts", "err", err)
			}
		}
		// cron and CI see a failed iteration in the exit code.
		var failed []string
		for _, r := range recs {
			if r.Error != "" {
				failed = append(failed, r.Target+": "+r.Error)
			}
		}
		if len(failed) > 0 {
			return headroom.Errorf(headroom.EUNAVAILABLE, "%d of %d target(s) failed: %s", len(failed), len(recs), strings.Join(failed, "; "))
		}
		return nil
	}
	if m.ln != nil {
		log := m.Controller.Logger
		// Timeouts: a crowd refreshing the status page during an outage
		// must not hold connections (and file descriptors) forever.
		srv := &http.Server{Handler: m.handler(), ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 30 * time.Second,
			WriteTimeout: 30 * time.Second, IdleTimeout: 2 * time.Minute}
		go func() {
			if err := srv.Serve(m.ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				log.Error("serve metrics", "err", err)
			}
		}()
		defer func() {
			shutdown, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second) // ctx has ended: the shutdown gets its own time
			defer cancel()
			if err := srv.Shutdown(shutdown); err != nil {
				log.Error("stop metrics server", "err", err)
			}
		}()
	}
	if m.Status != nil {
		// Stopped and waited for before returning: the caller closes the
		// store next.
		statusCtx, stop := context.WithCancel(ctx)
		done := make(chan struct{})
		defer func() { stop(); <-done }()
		go func() {
			defer close(done)
			m.Status.Runner.Run(statusCtx)
		}()
	}
	if m.Status != nil && m.Status.Metrics != nil {
		// The system metrics' collections; stopped and waited for
		// before returning.
		metricsCtx, stop := context.WithCancel(ctx)
		done := make(chan struct{})
		defer func() { stop(); <-done }()
		go func() {
			defer close(done)
			m.Status.Metrics.Run(metricsCtx)
		}()
	}
	if m.Alerts != nil {
		// Delivered in the background: the loop never waits for
		// Alertmanager. Stopped and waited for before returning.
		alertCtx, stop := context.WithCancel(ctx)
		done := make(chan struct{})
		defer func() { stop(); <-done }()
		go func() {
			defer close(done)
			m.Alerts.Run(alertCtx)
		}()
	}
	err := m.Controller.Run(ctx)
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}

// Close closes the store.
func (m *Main) Close() error { return m.DB.Close() }

func newServeCmd() *cobra.Command {
	var path, addr string
	var once, printDefault, allowEmpty bool
	cmd := &cobra.Command{
		Use:   "serve --config headroom.yaml",
		Short: "Run the guarded autoscaler: the engine check tested, live, on every target",
		Long: `serve runs, for every target of headroom.yaml and every loop interval (15 s by
default), the same decision engine check simulates: it reads the target's
capacity and metrics (Prometheus), decides with the target's policy in any
format check reads, applies headroom's guards (scale-in deferred while demand
needs the capacity, rate limit, blind freeze, emergency scale-out), and acts
through the target's actuator (a command, or Kubernetes' scale subresource) in
enforce mode. In guard mode the target's HPA keeps scaling and serve only holds
its minReplicas up while a reduction would be unsafe. Every decision is recorded
with its reason in the data directory's SQLite file, or in the PostgreSQL of
spec.database, which several serve processes share: one holds the lease and
acts, the others serve reads. A proposed policy runs beside the live one and is
recorded, never acted on.

With spec.page, serve is also the status page: the page, its Statuspage-
compatible JSON API and feeds at /, the admin API at /api/admin/ (tokens from
headroom token create), webhooks to subscribers. Without a headroom.yaml (and
no --config) it runs the embedded default: a status page of its own, stored in
./data.

The decisions page (under /decisions/ when there is a status page), /metrics,
/healthz (liveness: the process answers) and /readyz (readiness: the store
answers a read too, else 503) are served on --listen. An existing SQLite file
of 0 bytes is refused unless --allow-empty-db is given. See docs/SERVE.md and
docs/STATUSPAGE.md.

headroom decisions TARGET and headroom shadow TARGET read the records.`,
		Example: `  headroom serve                                 # headroom.yaml here, or the embedded default
  headroom serve --config headroom.yaml
  headroom serve --config headroom.yaml --once   # one iteration, for cron or a test
  headroom serve --print-default-config > headroom.yaml`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if printDefault {
				_, err := cmd.OutOrStdout().Write(defaultConfig)
				return err
			}
			cfg, err := loadConfig(cmd, path)
			if err != nil {
				return err
			}
			// A small heap (the status page's ~10 MB of pages) collected
			// ~14 times a second under load at GOGC=100: 64 MiB of room
			// between collections (docs/SERVE.md, "Memory").
			defer gcfloor.Start(gcfloor.DefaultRoom)()
			log := slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), nil))
			m, err := openMain(cmd.Context(), cfg, log, allowEmpty)
			if err != nil {
				return err
			}
			defer m.Close()
			if !once {
				m.Addr = addr
				if err := m.Listen(); err != nil {
					return err
				}
			}
			fmt.Fprintf(cmd.OutOrStdout(), "headroom serve: %d target(s), every %s; decisions in %s\n",
				len(cfg.Targets), cfg.LoopInterval, where(cfg))
			switch {
			case m.URL != "" && m.Status != nil:
				fmt.Fprintf(cmd.OutOrStdout(), "status page at %s/ (admin API %s%s), decisions at %s/decisions/, metrics at %s/metrics\n",
					m.URL, m.URL, admin.Prefix, m.URL, m.URL)
			case m.URL != "":
				fmt.Fprintf(cmd.OutOrStdout(), "decisions at %s/ and metrics at %s/metrics\n", m.URL, m.URL)
			}
			return m.Run(cmd.Context(), once)
		},
	}
	cmd.Flags().StringVar(&path, "config", "headroom.yaml", "the configuration: targets, their policies, metrics and actuators")
	dbFlag(cmd.Flags())
	cmd.Flags().BoolVar(&once, "once", false, "run one iteration and exit")
	cmd.Flags().BoolVar(&printDefault, "print-default-config", false, "print the embedded default headroom.yaml and exit")
	cmd.Flags().BoolVar(&allowEmpty, "allow-empty-db", false, "start even when the SQLite file exists with 0 bytes (a database that lost its content): an empty store, no tokens")
	cmd.Flags().StringVar(&addr, "listen", "127.0.0.1:8080", "address of the status page, the decisions page, /metrics and /healthz (empty for none)")
	return cmd
}

// loadConfig reads headroom.yaml and prints what its readers approximated.
// Without a --config flag and without a headroom.yaml in the working
// directory it is the embedded default: a status page of its own.
func loadConfig(cmd *cobra.Command, path string) (*config.Config, error) {
	var cfg *config.Config
	var err error
	if _, statErr := os.Stat(path); errors.Is(statErr, fs.ErrNotExist) && !cmd.Flags().Changed("config") {
		abs, absErr := filepath.Abs(path)
		if absErr != nil {
			return nil, absErr
		}
		fmt.Fprintf(cmd.ErrOrStderr(), "headroom: no %s here: using the embedded default (a status page; copy it with `headroom serve --print-default-config > %s`)\n", path, path)
		path = abs
		cfg, err = config.Parse(abs, defaultConfig)
	} else {
		cfg, err = config.Load(path)
	}
	if err != nil {
		return nil, err
	}
	if err := checkAdapters(path, cfg); err != nil {
		return nil, err
	}
	if f := cmd.Flags().Lookup("db"); f != nil && f.Changed {
		if !config.IsDatabaseURL(f.Value.String()) {
			// The value is not echoed: it may hold a password.
			return nil, &usageError{msg: "--db: expected a PostgreSQL URL such as postgres://headroom@db.internal/headroom"}
		}
		cfg.Database = f.Value.String()
	}
	for _, t := range cfg.Targets {
		warn(cmd, t.Warnings)
	}
	return cfg, nil
}

// dbFlag adds --db, which overrides spec.database.
func dbFlag(flags *pflag.FlagSet) {
	flags.String("db", "", "a PostgreSQL URL (postgres://...) to use instead of spec.database or the SQLite file in dataDir")
}

// openJournal opens the store of a config for reading decisions.
func openJournal(cmd *cobra.Command, path string) (*config.Config, Store, error) {
	cfg, err := loadConfig(cmd, path)
	if err != nil {
		return nil, nil, err
	}
	db, err := openStore(cmd.Context(), cfg, false)
	if err != nil {
		return nil, nil, err
	}
	return cfg, db, nil
}

func findTarget(cfg *config.Config, name string) (*config.Target, error) {
	for _, t := range cfg.Targets {
		if t.Name == name {
			return t, nil
		}
	}
	var names []string
	for _, t := range cfg.Targets {
		names = append(names, t.Name)
	}
	return nil, &usageError{msg: fmt.Sprintf("no target %q in %s (targets: %v)", name, cfg.Path, names), hint: "headroom decisions TARGET --config headroom.yaml"}
}

// since parses --since against now.
func since(d time.Duration) time.Time {
	if d <= 0 {
		return time.Time{}
	}
	return time.Now().Add(-d)
}
