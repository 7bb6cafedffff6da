package main

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/headroomhq/headroom"
	"github.com/headroomhq/headroom/check"
	"github.com/headroomhq/headroom/config"
	"github.com/headroomhq/headroom/controller"
	"github.com/headroomhq/headroom/incident"
	"github.com/headroomhq/headroom/postmortem"
	"github.com/headroomhq/headroom/sim"
	"github.com/spf13/cobra"
)

// replayPostmortem is `check --postmortem`: it samples the proposed
// policy's replays as a live loop would, and drafts the postmortem of its
// first violation — "here is the postmortem you would write".
type replayPostmortem struct {
	svc      *headroom.Service
	mu       sync.Mutex
	samplers map[string]*postmortem.Sampler // per traffic series
}

func newReplayPostmortem(svc *headroom.Service) *replayPostmortem {
	return &replayPostmortem{svc: svc, samplers: map[string]*postmortem.Sampler{}}
}

// install adds a sampler to the proposed policy's runs.
func (p *replayPostmortem) install(opt *check.Options) {
	prev := opt.Sinks
	opt.Sinks = func(role string, tr *headroom.Series) []sim.Sink {
		var sinks []sim.Sink
		if prev != nil {
			sinks = prev(role, tr)
		}
		if role != check.RoleProposed {
			return sinks
		}
		model := sim.NewModel(p.svc)
		s := &postmortem.Sampler{Needed: func(d float64) int { return model.Required(d, p.svc.SLO.MaxLatency) }}
		p.mu.Lock()
		p.samplers[tr.Name] = s
		p.mu.Unlock()
		return append(sinks, s)
	}
}

// draft returns the postmortem of the proposed policy's first violation;
// ok is false when it had none.
func (p *replayPostmortem) draft(rep *check.Report, pol *headroom.Policy, command string) (md string, ok bool) {
	pr := rep.Policies[0]
	if len(pr.Violations) == 0 {
		return "", false
	}
	v := pr.Violations[0]
	s := p.samplers[v.Traffic]
	if s == nil {
		return "", false
	}
	s.Flush()
	in := postmortem.Input{
		Title:   fmt.Sprintf("%s under-provisioned by policy %q", p.svc.Name, pr.Name),
		Service: "service " + p.svc.Name, Target: p.svc.Name, PolicyFile: pr.File, Zone: pol.Zone(),
		Budget: p.svc.SLO.MaxErrorRatio, MaxLatency: p.svc.SLO.MaxLatency,
		From: v.Start.Add(-time.Hour), To: v.End.Add(30 * time.Minute),
		Samples: s.Samples, Decisions: pr.Decisions,
		Record: fmt.Sprintf("a replay of %s on %s by headroom check (15 s loops)", orName(pr.File, pr.Name), v.Traffic),
		Check:  command,
	}
	for _, d := range pr.Detections {
		if d.Traffic == v.Traffic {
			in.Alerts = append(in.Alerts, d.Alert)
		}
	}
	return postmortem.Draft(in), true
}

// checkCommand is the check that fails on the change, for the draft's
// remedial actions.
func checkCommand(f *checkFlags) string {
	parts := []string{"headroom check", "--service", shellQuote(f.service)}
	for _, p := range f.baseline {
		parts = append(parts, "--baseline", shellQuote(p))
	}
	if f.baselineGit != "" {
		parts = append(parts, "--baseline-git", shellQuote(f.baselineGit))
	}
	for _, p := range f.proposed {
		parts = append(parts, "--proposed", shellQuote(p))
	}
	for _, t := range f.traffic.files {
		parts = append(parts, "--traffic", shellQuote(t))
	}
	return strings.Join(parts, " ")
}

func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./=:@+,", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

func orName(file, name string) string {
	if file != "" {
		return file
	}
	return name
}

// liveDrafter drafts a live incident's postmortem from the journal: the
// target's loops, decisions and alerts (controller.PostmortemInput).
type liveDrafter struct {
	cfg     *config.Config
	journal headroom.Journal
	targets []*controller.Target
}

// draft is incident.Automator's Postmortem.
func (d *liveDrafter) draft(ctx context.Context, target string, inc *incident.Incident) (string, error) {
	var t *controller.Target
	for _, ct := range d.targets {
		if ct.Name == target {
			t = ct
		}
	}
	var ct *config.Target
	for _, c := range d.cfg.Targets {
		if c.Name == target {
			ct = c
		}
	}
	if t == nil || ct == nil {
		return "", headroom.Errorf(headroom.ENOTFOUND, "no target %q in %s", target, d.cfg.Path)
	}
	src := controller.PostmortemSource{Target: t, Incident: inc, Store: where(d.cfg), Interval: d.cfg.LoopInterval}
	if d.cfg.Page != nil {
		for _, id := range inc.ComponentIDs {
			for _, c := range d.cfg.Page.Components {
				if c.ID == id {
					src.Components = append(src.Components, c.Name)
				}
			}
		}
	}
	if s := ct.Service; s != nil {
		src.Budget, src.MaxLatency = s.SLO.MaxErrorRatio, s.SLO.MaxLatency
	}
	if p := ct.Prometheus; p != nil {
		src.Queries = postmortem.Queries{Prometheus: p.URL, Demand: p.Demand, ErrorRatio: p.ErrorRatio, Latency: p.Latency}
	}
	in, err := controller.PostmortemInput(ctx, d.journal, src, time.Now())
	if err != nil {
		return "", err
	}
	return postmortem.Draft(in), nil
}

// targetOf returns the target of cfg whose incident automation serves one
// of the incident's components.
func targetOf(cfg *config.Config, inc *incident.Incident) (string, error) {
	for _, t := range cfg.Targets {
		if t.Incident == nil {
			continue
		}
		for _, c := range t.Incident.Components {
			if slices.Contains(inc.ComponentIDs, c) {
				return t.Name, nil
			}
		}
	}
	return "", headroom.Errorf(headroom.ENOTFOUND, "no target of %s tells incidents of the components %s (a target's incident.components): its record cannot be found",
		cfg.Path, strings.Join(inc.ComponentIDs, ", "))
}

// draftFromRecord is `incident postmortem ID --draft`: the draft built
// again from the store of the config at path.
func draftFromRecord(cmd *cobra.Command, path, id string) (string, error) {
	cfg, err := loadConfig(cmd, path)
	if err != nil {
		return "", err
	}
	db, err := openStore(cmd.Context(), cfg, false)
	if err != nil {
		return "", err
	}
	defer db.Close()
	data, err := db.Load(cmd.Context(), time.Now().Add(-time.Hour))
	if err != nil {
		return "", fmt.Errorf("read the status page's store: %w", err)
	}
	var inc *incident.Incident
	for i := range data.Incidents {
		if data.Incidents[i].ID == id {
			inc = &data.Incidents[i]
		}
	}
	if inc == nil {
		return "", headroom.Errorf(headroom.ENOTFOUND, "no incident %s in %s", id, where(cfg))
	}
	target, err := targetOf(cfg, inc)
	if err != nil {
		return "", err
	}
	d := &liveDrafter{cfg: cfg, journal: db}
	for _, t := range cfg.Targets {
		d.targets = append(d.targets, modelTarget(t))
	}
	return d.draft(cmd.Context(), target, inc)
}
