package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/headroomhq/headroom/incident"
	"github.com/headroomhq/headroom/statuspage/admin"
	"github.com/spf13/cobra"
)

func newSubscriberCmd() *cobra.Command {
	var f adminFlags
	cmd := &cobra.Command{
		Use:   "subscriber",
		Short: "List, add and remove the status page's subscribers: webhooks, email addresses, Slack and Teams channels",
		Long: `subscriber talks to the admin API of a running headroom serve, as headroom
incident does (--server, --token or $` + tokenEnv + `).

Readers subscribe their email address themselves on the page's /subscribe form
(double opt-in: a confirmation mail first). An email subscriber added here gets
that confirmation mail too, unless --skip-confirmation.

Exit codes: 0 when the server took the change; 2 otherwise.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return &usageError{msg: "subscriber needs a subcommand: list, add or remove", hint: "headroom subscriber list"}
		},
	}
	f.register(cmd)
	var req admin.SubscriberRequest
	var channel string
	add := &cobra.Command{
		Use:   "add",
		Short: "Subscribe a webhook (--url), an email address (--email), a Slack or Teams incoming webhook (--channel slack|teams --url)",
		Example: `  headroom subscriber add --email ops@example.com --component api
  headroom subscriber add --channel slack --url https://hooks.slack.com/services/T0/B0/x
  headroom subscriber add --url https://hooks.example.com/status`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			req.Channel = incident.Channel(channel)
			if req.Channel == "" && req.Email != "" {
				req.Channel = incident.ChannelEmail
			}
			if req.Email == "" && req.URL == "" {
				return &usageError{msg: "subscriber add needs --email or --url", hint: "headroom subscriber add --email ops@example.com"}
			}
			c, err := f.client(cmd)
			if err != nil {
				return err
			}
			sub, err := c.AddSubscriber(cmd.Context(), req)
			if err != nil {
				return adminError("add subscriber", err)
			}
			if f.format == "json" {
				return printJSON(cmd, sub)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "subscriber %s (%s): %s\n", sub.ID, sub.Channel, subscriberState(*sub))
			if sub.Secret != "" {
				fmt.Fprintf(cmd.OutOrStdout(), "secret (shown once; the receiver verifies signatures with it): %s\n", sub.Secret)
			}
			return nil
		},
	}
	add.Flags().StringVar(&channel, "channel", "", "webhook, email, slack or teams (default: email with --email, webhook with --url)")
	add.Flags().StringVar(&req.URL, "url", "", "the webhook's, or the Slack or Teams incoming webhook's, URL")
	add.Flags().StringVar(&req.Email, "email", "", "the email address")
	add.Flags().StringSliceVar(&req.Components, "component", nil, "a component id to be told of (repeat; default: every component)")
	add.Flags().StringVar(&req.Secret, "secret", "", "a webhook's signing secret (default: one is made and printed)")
	add.Flags().BoolVar(&req.SkipConfirmation, "skip-confirmation", false, "an email address you vouch for: no confirmation mail")
	list := &cobra.Command{
		Use:   "list",
		Short: "List the subscribers, without their secrets",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := f.client(cmd)
			if err != nil {
				return err
			}
			subs, err := c.Subscribers(cmd.Context())
			if err != nil {
				return adminError("list subscribers", err)
			}
			if f.format == "json" {
				return printJSON(cmd, subs)
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tCHANNEL\tTO\tCOMPONENTS\tSTATE")
			for _, s := range subs {
				to := s.URL
				if s.Email != "" {
					to = s.Email
				}
				comps := "all"
				if len(s.Components) > 0 {
					comps = strings.Join(s.Components, ",")
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", s.ID, s.Channel, to, comps, subscriberState(s))
			}
			return tw.Flush()
		},
	}
	remove := &cobra.Command{
		Use:   "remove ID",
		Short: "Remove a subscriber and what is queued for it",
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return &usageError{msg: fmt.Sprintf("subscriber remove takes a subscriber id, got %d argument(s)", len(args)), hint: "headroom subscriber list"}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := f.client(cmd)
			if err != nil {
				return err
			}
			if err := c.RemoveSubscriber(cmd.Context(), args[0]); err != nil {
				return adminError("remove subscriber "+args[0], err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "subscriber %s removed\n", args[0])
			return nil
		},
	}
	cmd.AddCommand(list, add, remove)
	return cmd
}

// subscriberState says whether s is told: an email subscriber waits for
// its confirmation.
func subscriberState(s admin.Subscriber) string {
	if s.Channel == incident.ChannelEmail && s.ConfirmedAt == nil {
		return "pending confirmation"
	}
	return "active"
}

func printJSON(cmd *cobra.Command, v any) error {
	enc := json.NewEncoder(cmd.OutOrStdout())
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
