package main

import (
	"encoding/json"
	"fmt"
	"math"
	"text/tabwriter"
	"time"

	"github.com/headroomhq/headroom"
	"github.com/headroomhq/headroom/sim"
	"github.com/spf13/cobra"
)

func newDecisionsCmd() *cobra.Command {
	var path, format string
	var window time.Duration
	var limit int
	cmd := &cobra.Command{
		Use:   "decisions TARGET",
		Short: "Show the live decisions of a target, each with its reason",
		Example: `  headroom decisions web --since 1h
  headroom decisions web --format json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, db, err := openJournal(cmd, path)
			if err != nil {
				return err
			}
			defer db.Close()
			if _, err := findTarget(cfg, args[0]); err != nil {
				return err
			}
			// The newest records are the ones asked for: the journal
			// returns the oldest first, so read the window and keep its
			// end (the window bounds what is read).
			recs, err := db.Records(cmd.Context(), args[0], since(window), time.Time{}, 0)
			if err != nil {
				return err
			}
			if limit > 0 && len(recs) > limit {
				recs = recs[len(recs)-limit:]
			}
			if format == "json" {
				enc := json.NewEncoder(cmd.OutOrStdout())
				enc.SetIndent("", "  ")
				return enc.Encode(recs)
			}
			w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "TIME (UTC)\tMODE\tDEMAND\tCURRENT\tDESIRED\tAPPLIED\tREASON")
			for _, r := range recs {
				demand := "-"
				if r.Observation.HasDemand {
					demand = fmt.Sprintf("%.0f req/s", r.Observation.Demand)
				}
				msg := r.Decision.Reason.Message
				if r.Error != "" {
					msg += " [error: " + r.Error + "]"
				}
				fmt.Fprintf(w, "%s\t%s\t%s\t%d\t%d\t%v\t%s: %s\n", r.Time.UTC().Format("2006-01-02 15:04:05"), r.Mode, demand,
					r.Current.Total(), r.Decision.Desired, r.Applied, r.Decision.Reason.Code, msg)
			}
			return w.Flush()
		},
	}
	cmd.Flags().StringVar(&path, "config", "headroom.yaml", "the configuration serve runs")
	dbFlag(cmd.Flags())
	cmd.Flags().DurationVar(&window, "since", 24*time.Hour, "how far back (0: everything)")
	cmd.Flags().IntVar(&limit, "limit", 0, "the newest this many records of the window (0: all)")
	cmd.Flags().StringVar(&format, "format", "text", "text or json")
	return cmd
}

func newShadowCmd() *cobra.Command {
	var path, format string
	var window time.Duration
	cmd := &cobra.Command{
		Use:   "shadow TARGET",
		Short: "Show where the proposed policy running in shadow diverged from the live one",
		Long: `shadow lists the moments the target's proposed policy (running beside the live
one on the same metrics, never acting) would have set a different instance
count, with the demand then and the instances it needed, so a change can run
for a day before it is promoted.`,
		Example: `  headroom shadow web --since 24h`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, db, err := openJournal(cmd, path)
			if err != nil {
				return err
			}
			defer db.Close()
			t, err := findTarget(cfg, args[0])
			if err != nil {
				return err
			}
			if t.Proposed == nil {
				return &usageError{msg: fmt.Sprintf("target %q has no proposed policy", t.Name), hint: "add proposed: FILE to the target in " + cfg.Path}
			}
			recs, err := db.Records(cmd.Context(), t.Name, since(window), time.Time{}, 0)
			if err != nil {
				return err
			}
			if format != "text" && format != "json" {
				return &usageError{msg: fmt.Sprintf("--format %q: expected text or json", format), hint: "headroom shadow " + t.Name + " --format json"}
			}
			model := sim.NewModel(t.Service)
			// A divergence as JSON: the record's time, the two counts, the
			// demand and what it needed, and the proposed policy's reason.
			type divergence struct {
				Time     time.Time       `json:"time"`
				Proposed int             `json:"proposedDesired"`
				Live     int             `json:"liveDesired"`
				Demand   float64         `json:"demand,omitempty"`
				Needed   int             `json:"neededInstances,omitempty"`
				Reason   headroom.Reason `json:"proposedReason"`
			}
			diverged := []divergence{}
			n := 0
			for _, r := range recs {
				p := r.Proposed
				if p == nil || p.Desired == r.Decision.Desired {
					continue
				}
				n++
				if format == "json" {
					d := divergence{Time: r.Time.UTC(), Proposed: p.Desired, Live: r.Decision.Desired, Reason: p.Reason}
					if r.Observation.HasDemand {
						d.Demand, d.Needed = r.Observation.Demand, model.Required(r.Observation.Demand, t.Service.SLO.MaxLatency)
					}
					diverged = append(diverged, d)
					continue
				}
				fmt.Fprintf(cmd.OutOrStdout(), "%s: proposed would have had %d instances while the live policy decided %d%s (%s)\n",
					r.Time.UTC().Format("2006-01-02 15:04 UTC"), p.Desired, r.Decision.Desired, needed(model, t.Service, r.Observation), p.Reason.Message)
			}
			if format == "json" {
				enc := json.NewEncoder(cmd.OutOrStdout())
				enc.SetIndent("", "  ")
				return enc.Encode(struct {
					Target    string       `json:"target"`
					Decisions int          `json:"decisions"`
					Diverged  []divergence `json:"diverged"`
				}{t.Name, len(recs), diverged})
			}
			if n == 0 {
				fmt.Fprintf(cmd.OutOrStdout(), "the proposed policy agreed with the live one in all %d decisions\n", len(recs))
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&path, "config", "headroom.yaml", "the configuration serve runs")
	dbFlag(cmd.Flags())
	cmd.Flags().DurationVar(&window, "since", 24*time.Hour, "how far back (0: everything)")
	cmd.Flags().StringVar(&format, "format", "text", "text or json")
	return cmd
}

// needed says what the observed demand needed, from the service model.
func needed(m *sim.Model, svc *headroom.Service, obs headroom.Observation) string {
	if !obs.HasDemand || math.IsNaN(obs.Demand) {
		return ""
	}
	return fmt.Sprintf(" and demand (%.0f req/s) needed %d", obs.Demand, m.Required(obs.Demand, svc.SLO.MaxLatency))
}
