package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/headroomhq/headroom"

	"github.com/headroomhq/headroom/incident"
	"github.com/headroomhq/headroom/statuspage/admin"
	"github.com/spf13/cobra"
)

func newComponentCmd() *cobra.Command {
	var f adminFlags
	cmd := &cobra.Command{
		Use:   "component",
		Short: "List the status page's components, or set one's status outside any incident",
		Long: `component talks to the admin API of a running headroom serve, as headroom
incident does (--server, --token or $` + tokenEnv + `).

Exit codes: 0 when the server took the change; 2 otherwise.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return &usageError{msg: "component needs a subcommand: list or set", hint: "headroom component list"}
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
	list := &cobra.Command{
		Use:   "list",
		Short: "List the components with their ids, groups and statuses (from the page's public JSON; no token needed)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			comps, err := listComponents(cmd.Context(), f.server)
			if err != nil {
				return err
			}
			if f.format == "json" {
				enc := json.NewEncoder(cmd.OutOrStdout())
				enc.SetIndent("", "  ")
				return enc.Encode(comps)
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tNAME\tGROUP\tSTATUS")
			for _, c := range comps {
				group := "-"
				if c.GroupID != nil {
					group = *c.GroupID
				}
				status := string(c.Status)
				if c.Group {
					status = "(group)"
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", c.ID, c.Name, group, status)
			}
			return tw.Flush()
		},
	}
	cmd.AddCommand(list, set)
	return cmd
}

// listComponents reads the page's /api/v2/components.json.
func listComponents(ctx context.Context, server string) ([]incident.APIComponent, error) {
	url := strings.TrimSuffix(server, "/") + "/api/v2/components.json"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, &usageError{msg: fmt.Sprintf("--server %q: %v", server, err), hint: "headroom component list --server http://127.0.0.1:8080"}
	}
	client := &http.Client{Timeout: 10 * time.Second}
	resp, err := client.Do(req)
	if err != nil {
		return nil, headroom.Errorf(headroom.EUNAVAILABLE, "list components: %s: %v", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, headroom.Errorf(headroom.EUNAVAILABLE, "list components: %s answered %s", url, resp.Status)
	}
	var doc struct {
		Components []incident.APIComponent `json:"components"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 16<<20)).Decode(&doc); err != nil {
		return nil, headroom.Errorf(headroom.EUNAVAILABLE, "list components: %s: not the status page's JSON: %v", url, err)
	}
	return doc.Components, nil
}
