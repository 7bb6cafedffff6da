package main

import (
	"strings"

	"github.com/headroomhq/headroom/statuspage/admin"
	"github.com/spf13/cobra"
)

func newMaintenanceCmd() *cobra.Command {
	var f adminFlags
	cmd := &cobra.Command{
		Use:   "maintenance",
		Short: "Schedule maintenance on the status page",
		Long: `maintenance talks to the admin API of a running headroom serve, as headroom
incident does (--server, --token or $` + tokenEnv + `). A scheduled maintenance
is updated and completed with headroom incident update and resolve.

Exit codes: 0 when the server took the write; 2 otherwise.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return &usageError{msg: "maintenance needs a subcommand: schedule", hint: "headroom maintenance schedule --help"}
		},
	}
	f.register(cmd)
	var req admin.MaintenanceRequest
	var body bodyFlags
	schedule := &cobra.Command{
		Use:   "schedule --name NAME --from TIME --until TIME --body TEXT [--component ID]...",
		Short: "Schedule maintenance; prints its id and public URL",
		Example: `  headroom maintenance schedule --name "Database upgrade" --component api \
    --from 2026-12-01T02:00:00Z --until 2026-12-01T03:00:00Z --auto \
    --body "The API will be read-only for up to an hour."`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if strings.TrimSpace(req.Name) == "" {
				return &usageError{msg: "no name: give --name, the maintenance's title on the status page", hint: `headroom maintenance schedule --name "Database upgrade" ...`}
			}
			if req.ScheduledFor == "" || req.ScheduledUntil == "" {
				return &usageError{msg: "give --from and --until, RFC 3339 times", hint: "headroom maintenance schedule --from 2026-12-01T02:00:00Z --until 2026-12-01T03:00:00Z ..."}
			}
			for flag, v := range map[string]string{"from": req.ScheduledFor, "until": req.ScheduledUntil} {
				if err := checkTime(cmd, flag, v); err != nil {
					return err
				}
			}
			var err error
			if req.Body, err = body.read(cmd); err != nil {
				return err
			}
			c, err := f.client(cmd)
			if err != nil {
				return err
			}
			m, err := c.Schedule(cmd.Context(), req)
			if err != nil {
				return adminError("schedule maintenance", err)
			}
			return printIncident(cmd, &f, "scheduled", m)
		},
	}
	schedule.Flags().StringVar(&req.Name, "name", "", "the maintenance's title")
	schedule.Flags().StringVar(&req.ScheduledFor, "from", "", "when it starts, RFC 3339")
	schedule.Flags().StringVar(&req.ScheduledUntil, "until", "", "when it ends, RFC 3339")
	schedule.Flags().StringArrayVar(&req.Components, "component", nil, "a component under maintenance (repeatable)")
	schedule.Flags().BoolVar(&req.AutoStart, "auto-start", false, "move it to in_progress at --from, its components under maintenance")
	schedule.Flags().BoolVar(&req.AutoComplete, "auto-complete", false, "complete it at --until, its components operational")
	auto := schedule.Flags().Bool("auto", false, "both --auto-start and --auto-complete")
	schedule.PreRun = func(*cobra.Command, []string) {
		if *auto {
			req.AutoStart, req.AutoComplete = true, true
		}
	}
	body.register(schedule, "what people should expect")
	cmd.AddCommand(schedule)
	return cmd
}
