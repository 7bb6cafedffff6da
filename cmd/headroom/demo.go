package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/headroomhq/headroom"
	"github.com/headroomhq/headroom/demo"
	"github.com/headroomhq/headroom/examples"
	"github.com/spf13/cobra"
)

func newDemoCmd() *cobra.Command {
	var listen string
	cmd := &cobra.Command{
		Use:   "demo [--listen 127.0.0.1:8080]",
		Short: "Replay the 2021-06-30 incident through the live code, guards off and on, and show it",
		Long: `demo replays the shipped example's day (examples/bitbucket-2021-06-30, built
into the binary) through headroom's live code — the controller loop, the guards,
the detector, incident automation on a status page, postmortem drafting — on a
simulated service (the simulator's fleet and queueing model behind the same
interfaces Prometheus and a real platform sit behind) and a virtual clock, twice:
with guards off (the scaling change cuts capacity at 17:00 UTC, requests fail,
the detector pages, the incident is opened, updated and resolved, the postmortem
is drafted from the record) and with guards on (the cut is deferred: nothing
fails, nothing to tell). It prints the two days beside the seed's public report,
then serves both — the status page as customers saw it, the decisions page —
on --listen until Ctrl-C. No setup; about 5 s of CPU.`,
		Example: `  headroom demo                      # then open http://127.0.0.1:8080/
  headroom demo --listen ""          # print the summary only`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runDemo(cmd, listen) },
	}
	cmd.Flags().StringVar(&listen, "listen", "127.0.0.1:8080", `where to serve both outcomes after the summary; "" to print the summary only`)
	return cmd
}

func runDemo(cmd *cobra.Command, listen string) error {
	ctx := cmd.Context()
	ex, err := demo.LoadExample(examples.Bitbucket, examples.BitbucketDir)
	if err != nil {
		return fmt.Errorf("load the example: %w", err)
	}
	dir, err := os.MkdirTemp("", "headroom-demo-")
	if err != nil {
		return &headroom.Error{Code: headroom.EINVALID, Message: "create a temporary directory", Err: err}
	}
	defer os.RemoveAll(dir)
	// Listen first: a port in use is said before a run, not after.
	var ln net.Listener
	if listen != "" {
		if ln, err = net.Listen("tcp", listen); err != nil {
			return &usageError{msg: fmt.Sprintf("listen on %s: %v", listen, err), hint: "headroom demo --listen 127.0.0.1:8081"}
		}
		defer ln.Close()
	}
	stderr := cmd.ErrOrStderr()
	fmt.Fprintf(stderr, "headroom demo: %s, %s to %s UTC, policy %s\n", ex.Service.Name,
		ex.Traffic.Start.UTC().Format("2006-01-02 15:04"), ex.Traffic.End().UTC().Format("2006-01-02 15:04"), ex.PolicyFile)
	runs := map[bool]*demo.Outcome{}
	for _, guarded := range []bool{false, true} {
		label := map[bool]string{false: "guards off", true: "guards on "}[guarded]
		sub := fmt.Sprintf("%s/%t", dir, guarded)
		if err := os.MkdirAll(sub, 0o755); err != nil {
			return &headroom.Error{Code: headroom.EINVALID, Message: "create " + sub, Err: err}
		}
		bar := progressFunc(stderr, "  "+label, false)
		progress := func(f float64) {
			if bar != nil {
				bar(int(f*86400), 86400)
			}
		}
		o, err := demo.Run(ctx, ex, guarded, sub, nil, progress)
		if err != nil {
			return err
		}
		defer o.DB.Close()
		runs[guarded] = o
		fmt.Fprintf(stderr, "  %s: the day in %s: %.0f requests failed, %d alert(s), %d incident(s)\n", label,
			o.Took.Round(10*time.Millisecond), o.Failed, len(o.Alerts), len(o.Incidents))
	}
	replay, err := demo.Replay(ctx, ex)
	if err != nil {
		return err
	}
	rows := demo.Rows(replay, runs[false], runs[true])
	out := cmd.OutOrStdout()
	fmt.Fprintln(out)
	if err := demo.WriteSummary(out, rows); err != nil {
		return err
	}
	if ln == nil {
		return nil
	}
	srv := &http.Server{Handler: demo.Handler(runs[false], runs[true], rows), ReadHeaderTimeout: 5 * time.Second}
	fmt.Fprintf(out, "\nBoth days are served at http://%s/ (the status pages, the decisions); Ctrl-C to stop.\n", ln.Addr())
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		srv.Shutdown(shutdown)
	}()
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
