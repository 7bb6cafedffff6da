package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/headroomhq/headroom"
	"github.com/headroomhq/headroom/incident"
	"github.com/headroomhq/headroom/statuspage/admin"
	"github.com/spf13/cobra"
)

// DefaultServer is where the admin commands find `headroom serve`: its
// default --listen.
const DefaultServer = "http://127.0.0.1:8080"

// tokenEnv names the environment variable holding the admin token: safer
// than --token, which other users see in the process list.
const tokenEnv = "HEADROOM_TOKEN"

// maxBodyFile bounds a --body-file or a postmortem file: the admin API
// refuses bodies over 512 KiB anyway.
const maxBodyFile = 1 << 20

// adminFlags are the flags of every command that talks to the admin API.
type adminFlags struct {
	server, token, format string
}

func (f *adminFlags) register(cmd *cobra.Command) {
	cmd.PersistentFlags().StringVar(&f.server, "server", DefaultServer, "URL of the headroom serve whose admin API to use")
	cmd.PersistentFlags().StringVar(&f.token, "token", "", "admin token (default $"+tokenEnv+"; made by headroom token create)")
	cmd.PersistentFlags().StringVar(&f.format, "format", "text", "text or json (the admin API's answer)")
}

// client returns the admin API client, or a usage error without a token.
func (f *adminFlags) client(cmd *cobra.Command) (*admin.Client, error) {
	token := f.token
	if token == "" {
		token = os.Getenv(tokenEnv)
	}
	if token == "" {
		return nil, &usageError{msg: "no admin token: set " + tokenEnv + " or pass --token",
			hint: "export " + tokenEnv + "=$(headroom token create $USER --config headroom.yaml)"}
	}
	if f.format != "text" && f.format != "json" {
		return nil, &usageError{msg: fmt.Sprintf("--format %q: expected text or json", f.format), hint: cmd.CommandPath() + " --help"}
	}
	return &admin.Client{URL: f.server, Token: token}, nil
}

// adminError explains a refusal of the admin API: a bad token gets the
// way to make one.
func adminError(what string, err error) error {
	switch headroom.ErrorCode(err) {
	case headroom.EUNAUTHORIZED:
		return &usageError{msg: what + ": " + err.Error(),
			hint: "export " + tokenEnv + "=$(headroom token create $USER --config headroom.yaml)"}
	case headroom.EINVALID:
		// Printed as the user's mistake, without "internal" wording.
		return &headroom.Error{Code: headroom.EINVALID, Message: what + ": " + err.Error()}
	}
	return fmt.Errorf("%s: %w", what, err)
}

// bodyFlags are --body and --body-file.
type bodyFlags struct {
	body, file string
}

func (b *bodyFlags) register(cmd *cobra.Command, what string) {
	cmd.Flags().StringVar(&b.body, "body", "", what+", Markdown")
	cmd.Flags().StringVar(&b.file, "body-file", "", "read the body from this file (- for stdin)")
}

// read returns the body: required, from --body or --body-file.
func (b *bodyFlags) read(cmd *cobra.Command) (string, error) {
	switch {
	case b.body != "" && b.file != "":
		return "", &usageError{msg: "--body and --body-file both give the body: give one", hint: cmd.CommandPath() + " --help"}
	case b.file != "":
		return readText(cmd, b.file, "--body-file")
	case strings.TrimSpace(b.body) == "":
		return "", &usageError{msg: "no body: give --body TEXT or --body-file FILE (Markdown people read on the status page)",
			hint: cmd.CommandPath() + ` --body "We are investigating elevated error rates."`}
	}
	return b.body, nil
}

// readText reads a Markdown file, or stdin for "-".
func readText(cmd *cobra.Command, path, flag string) (string, error) {
	var r io.Reader
	if path == "-" {
		r = cmd.InOrStdin()
	} else {
		f, err := os.Open(path)
		if err != nil {
			return "", &headroom.InputError{File: path, Field: flag, Expected: "a readable Markdown file", Err: errors.Unwrap(err)}
		}
		defer f.Close()
		r = f
	}
	data, err := io.ReadAll(io.LimitReader(r, maxBodyFile+1))
	if err != nil {
		return "", &headroom.InputError{File: path, Field: flag, Expected: "a readable Markdown file", Err: err}
	}
	if len(data) > maxBodyFile {
		return "", &headroom.InputError{File: path, Field: flag, Expected: fmt.Sprintf("at most %d bytes", maxBodyFile)}
	}
	if strings.TrimSpace(string(data)) == "" {
		return "", &headroom.InputError{File: path, Field: flag, Expected: "Markdown text, not an empty file"}
	}
	return string(data), nil
}

// parseComponents reads --component ID=STATUS flags.
func parseComponents(cmd *cobra.Command, flags []string) (map[string]incident.ComponentStatus, error) {
	if len(flags) == 0 {
		return nil, nil
	}
	out := map[string]incident.ComponentStatus{}
	for _, f := range flags {
		id, status, ok := strings.Cut(f, "=")
		if !ok || id == "" || status == "" {
			return nil, &usageError{msg: fmt.Sprintf("--component %q: expected ID=STATUS, STATUS one of %s", f, joinStatuses()),
				hint: cmd.CommandPath() + " --component website=major_outage ..."}
		}
		out[id] = incident.ComponentStatus(status)
	}
	return out, nil
}

func joinStatuses() string {
	var s []string
	for _, st := range incident.ComponentStatuses {
		s = append(s, string(st))
	}
	return strings.Join(s, ", ")
}

// checkTime checks an RFC 3339 flag here, naming the flag, rather than
// sending it.
func checkTime(cmd *cobra.Command, flag, value string) error {
	if value == "" {
		return nil
	}
	if _, err := time.Parse(time.RFC3339, value); err != nil {
		return &usageError{msg: fmt.Sprintf("--%s %q: expected an RFC 3339 time such as 2021-06-30T17:00:00Z", flag, value),
			hint: cmd.CommandPath() + " --" + flag + " 2021-06-30T17:00:00Z ..."}
	}
	return nil
}

// publicURL is the incident's page; relative when the page has no url:
// then it is served by the server the command talked to.
func publicURL(server string, inc *admin.Incident) string {
	if strings.HasPrefix(inc.URL, "/") {
		return strings.TrimSuffix(server, "/") + inc.URL
	}
	return inc.URL
}

// printIncident prints what a write left: the incident's id, status and
// public URL, or the admin API's JSON.
func printIncident(cmd *cobra.Command, f *adminFlags, verb string, inc *admin.Incident) error {
	out := cmd.OutOrStdout()
	if f.format == "json" {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		return enc.Encode(inc)
	}
	kind := "incident"
	if inc.Kind == incident.KindMaintenance {
		kind = "maintenance"
	}
	fmt.Fprintf(out, "%s %s %s: %s (%s", kind, inc.ID, verb, inc.Name, inc.Status)
	if inc.Kind == incident.KindIncident {
		fmt.Fprintf(out, ", impact %s", inc.Impact)
	}
	if inc.Draft {
		fmt.Fprintf(out, ", draft)\nnot on the status page until published: headroom incident publish %s\n", inc.ID)
	} else {
		fmt.Fprint(out, ")\n")
	}
	fmt.Fprintf(out, "%s\n", publicURL(f.server, inc))
	return nil
}

func newIncidentCmd() *cobra.Command {
	var f adminFlags
	cmd := &cobra.Command{
		Use:   "incident",
		Short: "Open, update and resolve incidents on the status page; write their postmortems",
		Long: `incident talks to the admin API of a running headroom serve (--server, by
default ` + DefaultServer + `) with an admin token (--token or $` + tokenEnv + `, made
by headroom token create). Every write is checked by the server: an unknown
component, a status that cannot follow the current one or an empty body is
refused with the reason. Subscribers are notified by webhook.

Exit codes: 0 when the server took the write; 2 when it refused it, when the
command line is wrong, or when the server cannot be reached.`,
		Example: `  export HEADROOM_TOKEN=$(headroom token create $USER --config headroom.yaml)
  headroom incident open --name "Elevated errors on the website" \
    --component website=major_outage --body "We are investigating 502 errors."
  headroom incident update k3x9abcd1234 --status identified --body "A scheduled scale-in removed capacity."
  headroom incident resolve k3x9abcd1234 --body "Capacity is back; error rates are normal."
  headroom incident postmortem k3x9abcd1234 --body-file postmortem.md --publish
  # A draft (opened with --draft, or by detection with publish: draft) goes public:
  headroom incident publish k3x9abcd1234`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return &usageError{msg: "incident needs a subcommand: open, publish, update, resolve, postmortem or show", hint: "headroom incident --help"}
		},
	}
	f.register(cmd)
	cmd.AddCommand(newIncidentOpenCmd(&f), newIncidentPublishCmd(&f), newIncidentUpdateCmd(&f), newIncidentResolveCmd(&f),
		newIncidentPostmortemCmd(&f), newIncidentShowCmd(&f))
	return cmd
}

func newIncidentOpenCmd(f *adminFlags) *cobra.Command {
	var req admin.OpenRequest
	var status, impact string
	var components []string
	var body bodyFlags
	cmd := &cobra.Command{
		Use:   "open --name NAME --body TEXT [--component ID=STATUS]...",
		Short: "Open an incident; prints its id and public URL",
		Example: `  headroom incident open --name "Elevated errors on the website" --impact major \
    --component website=major_outage --body "We are investigating 502 errors."
  # After the fact, as it happened:
  headroom incident open --name "Website and API degraded" --status monitoring \
    --started-at 2021-06-30T16:56:00Z --display-at 2021-06-30T17:00:00Z --body-file first-update.md
  # A draft, off the page until someone runs headroom incident publish ID:
  headroom incident open --draft --name "Elevated errors on the website" \
    --component website=major_outage --body "We are investigating 502 errors."`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if strings.TrimSpace(req.Name) == "" {
				return &usageError{msg: "no name: give --name, the incident's title on the status page", hint: `headroom incident open --name "Elevated errors on the website" ...`}
			}
			var err error
			if req.Body, err = body.read(cmd); err != nil {
				return err
			}
			if req.Components, err = parseComponents(cmd, components); err != nil {
				return err
			}
			for flag, v := range map[string]string{"started-at": req.StartedAt, "display-at": req.DisplayAt} {
				if err := checkTime(cmd, flag, v); err != nil {
					return err
				}
			}
			req.Status, req.Impact = incident.Status(status), incident.Impact(impact)
			c, err := f.client(cmd)
			if err != nil {
				return err
			}
			inc, err := c.Open(cmd.Context(), req)
			if err != nil {
				return adminError("open incident", err)
			}
			return printIncident(cmd, f, "opened", inc)
		},
	}
	cmd.Flags().StringVar(&req.Name, "name", "", "the incident's title")
	cmd.Flags().StringVar(&status, "status", "", "investigating (default), identified or monitoring")
	cmd.Flags().StringVar(&impact, "impact", "", "none, minor, major or critical (default: from the components' statuses)")
	cmd.Flags().StringArrayVar(&components, "component", nil, "an affected component and its status, ID=STATUS (repeatable)")
	body.register(cmd, "the first update")
	cmd.Flags().StringVar(&req.StartedAt, "started-at", "", "when it began, RFC 3339 (default now)")
	cmd.Flags().StringVar(&req.DisplayAt, "display-at", "", "the time shown on the first update, RFC 3339 (default now)")
	cmd.Flags().BoolVar(&req.Draft, "draft", false, "open it as a draft: admins see it, the page, its components and subscribers do not until headroom incident publish ID")
	return cmd
}

func newIncidentPublishCmd(f *adminFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "publish ID",
		Short: "Publish a draft incident: it appears on the status page with its updates, and subscribers are told",
		Long: `publish puts a draft incident (opened with --draft, or by detection with
publish: draft in headroom.yaml) on the status page as of now. Its updates
keep the times they were posted at; an unresolved draft's components take
the statuses its latest updates gave them; subscribers get one webhook.
Publishing an incident that is not a draft is refused.`,
		Example: `  headroom incident show k3x9abcd1234
  headroom incident publish k3x9abcd1234`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := f.client(cmd)
			if err != nil {
				return err
			}
			inc, err := c.Publish(cmd.Context(), args[0])
			if err != nil {
				return adminError("publish incident "+args[0], err)
			}
			return printIncident(cmd, f, "published", inc)
		},
	}
}

func newIncidentUpdateCmd(f *adminFlags) *cobra.Command {
	var req admin.UpdateRequest
	var status, impact string
	var components []string
	var body bodyFlags
	cmd := &cobra.Command{
		Use:   "update ID --status STATUS --body TEXT",
		Short: "Post an update on an incident (or a maintenance)",
		Example: `  headroom incident update k3x9abcd1234 --status identified \
    --component website=partial_outage --body "A scheduled scale-in removed capacity; adding it back."`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if status == "" {
				return &usageError{msg: "no status: give --status, one of investigating, identified, monitoring, resolved (or a maintenance's scheduled, in_progress, verifying, completed)",
					hint: "headroom incident update " + args[0] + " --status identified --body ..."}
			}
			var err error
			if req.Body, err = body.read(cmd); err != nil {
				return err
			}
			if req.Components, err = parseComponents(cmd, components); err != nil {
				return err
			}
			if err := checkTime(cmd, "display-at", req.DisplayAt); err != nil {
				return err
			}
			req.Status, req.Impact = incident.Status(status), incident.Impact(impact)
			c, err := f.client(cmd)
			if err != nil {
				return err
			}
			inc, err := c.Update(cmd.Context(), args[0], req)
			if err != nil {
				return adminError("update incident "+args[0], err)
			}
			return printIncident(cmd, f, "updated", inc)
		},
	}
	cmd.Flags().StringVar(&status, "status", "", "the incident's status with this update")
	cmd.Flags().StringVar(&impact, "impact", "", "a new impact: none, minor, major or critical")
	cmd.Flags().StringArrayVar(&components, "component", nil, "a component and its new status, ID=STATUS (repeatable)")
	body.register(cmd, "the update")
	cmd.Flags().StringVar(&req.DisplayAt, "display-at", "", "the time shown, RFC 3339 (default now)")
	return cmd
}

func newIncidentResolveCmd(f *adminFlags) *cobra.Command {
	var req admin.ResolveRequest
	var components []string
	var body bodyFlags
	cmd := &cobra.Command{
		Use:     "resolve ID --body TEXT",
		Short:   "Resolve an incident (complete a maintenance); its components return to operational",
		Example: `  headroom incident resolve k3x9abcd1234 --body "Capacity is back; error rates are normal."`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var err error
			if req.Body, err = body.read(cmd); err != nil {
				return err
			}
			if req.Components, err = parseComponents(cmd, components); err != nil {
				return err
			}
			if err := checkTime(cmd, "display-at", req.DisplayAt); err != nil {
				return err
			}
			c, err := f.client(cmd)
			if err != nil {
				return err
			}
			inc, err := c.Resolve(cmd.Context(), args[0], req)
			if err != nil {
				return adminError("resolve incident "+args[0], err)
			}
			return printIncident(cmd, f, "resolved", inc)
		},
	}
	cmd.Flags().StringArrayVar(&components, "component", nil, "a component left in another status than operational, ID=STATUS (repeatable)")
	body.register(cmd, "the resolving update")
	cmd.Flags().StringVar(&req.DisplayAt, "display-at", "", "the time shown, RFC 3339 (default now)")
	return cmd
}

func newIncidentPostmortemCmd(f *adminFlags) *cobra.Command {
	var file, configPath string
	var publish, rebuild bool
	cmd := &cobra.Command{
		Use:   "postmortem ID --body-file FILE [--publish]",
		Short: "Save a resolved incident's postmortem draft; --publish puts it on the status page",
		Long: `postmortem saves the Markdown of --body-file as the incident's postmortem draft,
which only admins see (headroom incident show ID). With --publish it is
published: the incident's status becomes postmortem and subscribers are
told. --publish without --body-file publishes the draft saved before.

--draft builds the draft again from what headroom recorded (the journal of
the target whose incident block names the incident's components, in the
store of --config's headroom.yaml: its loops, decisions and alerts) and
saves it, replacing the one saved before; serve drafts it by itself when an
incident of a target is resolved. See docs/DETECT.md.`,
		Example: `  headroom incident postmortem k3x9abcd1234 --body-file postmortem.md
  headroom incident postmortem k3x9abcd1234 --draft --config headroom.yaml
  headroom incident postmortem k3x9abcd1234 --publish`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if file == "" && !publish && !rebuild {
				return &usageError{msg: "nothing to do: give --body-file FILE (the draft), --draft (built from the record), --publish, or both", hint: "headroom incident postmortem " + args[0] + " --body-file postmortem.md --publish"}
			}
			if file != "" && rebuild {
				return &usageError{msg: "--body-file and --draft both give the draft: give one", hint: "headroom incident postmortem " + args[0] + " --draft --config headroom.yaml"}
			}
			var draft string
			if file != "" {
				var err error
				if draft, err = readText(cmd, file, "--body-file"); err != nil {
					return err
				}
			}
			if rebuild {
				var err error
				if draft, err = draftFromRecord(cmd, configPath, args[0]); err != nil {
					return err
				}
				file = "--draft"
			}
			c, err := f.client(cmd)
			if err != nil {
				return err
			}
			var inc *admin.Incident
			if file != "" {
				if inc, err = c.SavePostmortem(cmd.Context(), args[0], draft); err != nil {
					return adminError("save the postmortem of incident "+args[0], err)
				}
			}
			verb := "postmortem draft saved"
			if publish {
				if inc, err = c.PublishPostmortem(cmd.Context(), args[0]); err != nil {
					return adminError("publish the postmortem of incident "+args[0], err)
				}
				verb = "postmortem published"
			}
			return printIncident(cmd, f, verb, inc)
		},
	}
	cmd.Flags().StringVar(&file, "body-file", "", "the postmortem, Markdown (- for stdin): the flag every incident command takes for a body")
	// --file was this command's name for it; kept so scripts do not break.
	cmd.Flags().StringVar(&file, "file", "", "the same as --body-file")
	cmd.Flags().MarkDeprecated("file", "use --body-file, as every other incident command")
	cmd.Flags().BoolVar(&publish, "publish", false, "publish the postmortem")
	cmd.Flags().BoolVar(&rebuild, "draft", false, "build the draft from what headroom recorded of the incident's target, and save it")
	cmd.Flags().StringVar(&configPath, "config", "headroom.yaml", "with --draft: the headroom.yaml whose store and targets recorded the incident")
	return cmd
}

func newIncidentShowCmd(f *adminFlags) *cobra.Command {
	return &cobra.Command{
		Use:     "show ID",
		Short:   "Show an incident with its updates and its postmortem draft",
		Example: `  headroom incident show k3x9abcd1234 --format json`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := f.client(cmd)
			if err != nil {
				return err
			}
			inc, err := c.Incident(cmd.Context(), args[0])
			if err != nil {
				return adminError("show incident "+args[0], err)
			}
			if f.format == "json" {
				return printIncident(cmd, f, "", inc)
			}
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "%s (%s %s, status %s, impact %s)\n", inc.Name, inc.Kind, inc.ID, inc.Status, inc.Impact)
			switch {
			case inc.Draft:
				fmt.Fprintf(out, "DRAFT: not on the status page; publish it with: headroom incident publish %s\n", inc.ID)
			case inc.PublishedAt != nil:
				fmt.Fprintf(out, "published from a draft %s\n", *inc.PublishedAt)
			}
			fmt.Fprintf(out, "%s\n\n", publicURL(f.server, inc))
			w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "POSTED\tSTATUS\tBODY")
			for _, u := range inc.IncidentUpdates {
				fmt.Fprintf(w, "%s\t%s\t%s\n", u.DisplayAt, u.Status, firstLine(u.Body))
			}
			if err := w.Flush(); err != nil {
				return err
			}
			switch {
			case inc.PostmortemBody != nil:
				fmt.Fprintf(out, "\npostmortem published %s\n", *inc.PostmortemPublishedAt)
			case inc.PostmortemDraft != "":
				fmt.Fprintf(out, "\npostmortem draft (unpublished):\n%s\n", inc.PostmortemDraft)
			}
			return nil
		},
	}
}

// firstLine shortens a body to its first line for a table.
func firstLine(s string) string {
	line, _, more := strings.Cut(strings.TrimSpace(s), "\n")
	if r := []rune(line); len(r) > 80 {
		line, more = string(r[:77]), true
	}
	if more {
		return line + "..."
	}
	return line
}
