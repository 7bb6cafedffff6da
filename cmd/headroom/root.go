package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime/debug"
	"strings"

	"github.com/headroomhq/headroom"
	"github.com/spf13/cobra"
)

// Exit codes. CI reads them, so check never returns anything else: an
// interrupted run (SIGINT, SIGTERM) exits 2 too, not 130 or 143.
const (
	ExitPass    = 0
	ExitFail    = 1
	ExitInvalid = 2
)

// errFailed is returned by a command whose run worked and whose verdict is
// "fail": exit 1, nothing more to print.
var errFailed = errors.New("verdict: fail")

// usageError is a mistake on the command line; it ends with a hint.
type usageError struct {
	msg  string
	hint string
}

func (e *usageError) Error() string { return e.msg }

// Run executes the CLI with args and returns the exit code.
func Run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) (code int) {
	// A bug must not become an exit code CI reads as a verdict.
	defer func() {
		if r := recover(); r != nil {
			fmt.Fprintf(stderr, "headroom: internal error: %v\n%s", r, debug.Stack())
			code = ExitInvalid
		}
	}()
	root := newRoot(stdout, stderr)
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	cmd, err := root.ExecuteContextC(ctx)
	switch {
	case err == nil:
		return ExitPass
	case errors.Is(err, errFailed):
		return ExitFail
	case errors.Is(err, context.Canceled) && ctx.Err() != nil:
		// Ctrl-C or SIGTERM (main's signal context): no verdict, and CI
		// must not read one, so 2 as for any run that judged nothing.
		fmt.Fprintln(stderr, "headroom: interrupted: nothing was judged or written")
		return ExitInvalid
	}
	var ue *usageError
	if errors.As(err, &ue) {
		fmt.Fprintf(stderr, "headroom: %s\n", ue.msg)
		if ue.hint != "" {
			fmt.Fprintf(stderr, "Try: %s\n", ue.hint)
		}
		return ExitInvalid
	}
	if headroom.ErrorCode(err) == headroom.EINVALID {
		fmt.Fprintf(stderr, "headroom: %s\n", indentLines(err.Error()))
		return ExitInvalid
	}
	if isFlagError(err) {
		fmt.Fprintf(stderr, "headroom: %s\n", err)
		fmt.Fprintf(stderr, "Try: %s --help\n", cmd.CommandPath())
		return ExitInvalid
	}
	fmt.Fprintf(stderr, "headroom: %s\n", err)
	return ExitInvalid
}

// isFlagError recognizes cobra's and pflag's command-line errors, which
// carry no type of their own.
func isFlagError(err error) bool {
	s := err.Error()
	for _, p := range []string{"unknown flag", "unknown shorthand", "flag needs an argument", "invalid argument", "unknown command", "required flag", "accepts ", "bad flag"} {
		if strings.Contains(s, p) {
			return true
		}
	}
	return false
}

// indentLines puts a list of problems one per line under the first.
func indentLines(s string) string {
	lines := strings.Split(s, "\n")
	if len(lines) == 1 {
		return s
	}
	return fmt.Sprintf("%d problems:\n  %s", len(lines), strings.Join(lines, "\n  "))
}

func newRoot(stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:   "headroom",
		Short: "Test autoscaling policies against real traffic before they ship",
		Long: `headroom replays recorded traffic, second by second, through an autoscaling
policy and a queueing model of your service, and tells you where the policy
would under-provision it: the 502s and the latency your users would see.

Put 'headroom check' in CI next to your scaling configuration: it fails the
job (exit 1) when a proposed policy misses the SLO anywhere in the traffic,
or does worse than the current one.`,
		Example: `  # The shipped example: the 2021-06-30 Bitbucket incident as a red CI job
  headroom check --service examples/bitbucket-2021-06-30/service.yaml \
    --baseline examples/bitbucket-2021-06-30/baseline.yaml \
    --proposed examples/bitbucket-2021-06-30/proposed.yaml \
    --traffic examples/bitbucket-2021-06-30/traffic.csv

  # One policy, a month of traffic 30% bigger, an HTML report with charts
  headroom simulate --service service.yaml --policy policy.yaml \
    --traffic prom-export.json --scale 1.3 --report out.html`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return &usageError{msg: err.Error(), hint: c.CommandPath() + " --help"}
	})
	root.AddCommand(newCheckCmd(), newSimulateCmd(), newValidateCmd(), newServeCmd(), newDecisionsCmd(), newShadowCmd(), newVersionCmd())
	root.AddCommand(newTokenCmd(), newIncidentCmd(), newComponentCmd(), newMaintenanceCmd(), newSubscriberCmd())
	root.AddCommand(newDetectCmd(), newDemoCmd())
	root.AddCommand(newRecommendCmd())
	root.AddCommand(newTrafficCmd())
	return root
}
