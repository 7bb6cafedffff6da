package main

import (
	"encoding/json"
	"fmt"

	"github.com/headroomhq/headroom/incident"
	"github.com/headroomhq/headroom/statuspage/admin"
	"github.com/spf13/cobra"
)

func newComponentCmd() *cobra.Command {
	var f adminFlags
	cmd := &cobra.Command{
		Use:   "component",
		Short: "Set a status page component's status outside any incident",
		Long: `component talks to the admin API of a running headroom serve, as headroom
incident does (--server, --token or $` + tokenEnv + `).

Exit codes: 0 when the server took the change; 2 otherwise.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return &usageError{msg: "component needs a subcommand: set", hint: "headroom component set website degraded_performance"}
		},
	}
	f.register(cmd)
	set := &cobra.Command{
		Use:   "set ID STATUS",
		Short: "Set a component's status: " + joinStatuses(),
		Example: `  headroom component set website degraded_performance
  headroom component set website operational`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 2 {
				return &usageError{msg: fmt.Sprintf("component set takes a component id and a status, got %d argument(s)", len(args)),
					hint: "headroom component set website degraded_performance"}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := f.client(cmd)
			if err != nil {
				return err
			}
			comp, err := c.SetComponent(cmd.Context(), args[0], admin.ComponentRequest{Status: incident.ComponentStatus(args[1])})
			if err != nil {
				return adminError("set component "+args[0], err)
			}
			if f.format == "json" {
				enc := json.NewEncoder(cmd.OutOrStdout())
				enc.SetIndent("", "  ")
				return enc.Encode(comp)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "component %s (%s): %s\n", comp.ID, comp.Name, comp.Status)
			return nil
		},
	}
	cmd.AddCommand(set)
	return cmd
}
