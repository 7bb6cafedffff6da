// Package exec is the command actuator: it reads and sets a target's
// capacity by running commands the user configured, so that anything with a
// command line can be scaled by headroom — the AWS CLI, a cloud's own tool,
// or a script.
//
// # Setting capacity
//
// Scale runs Config.Scale, an argv such as
//
//	aws ecs update-service --cluster prod --service web --desired-count {{desired}}
//
// The argv is executed directly, never through a shell: each element is one
// argument, so nothing in a substituted value (a reason message, a target
// name) can run a command, however it is quoted. Before each run these
// placeholders are replaced, in a single pass (a value that itself contains
// a placeholder is not expanded again):
//
//	{{desired}}  the desired instance count, in decimal
//	{{target}}   Config.Target
//	{{reason}}   the reason's sentence (headroom.Reason.Message)
//
// Spaces inside the braces are allowed ({{ desired }}); any other
// {{name}} is a configuration error, caught by New. The same values are in
// the command's environment, after the parent's environment and Config.Env:
//
//	HEADROOM_TARGET       Config.Target
//	HEADROOM_DESIRED      the desired instance count
//	HEADROOM_REASON_CODE  the reason code, e.g. ScheduledAction
//	HEADROOM_REASON       the reason's sentence
//
// NUL bytes, which no argument or environment variable can hold, are removed
// from substituted values.
//
// Exit status 0 means the platform took the change. Without a Read command,
// Capacity then reports that count as ready.
//
// # Reading capacity
//
// Capacity runs Config.Read when it is set ({{target}} and HEADROOM_TARGET
// are available to it). Its standard output, trimmed, must be either one
// non-negative integer, meaning that many instances, all ready, or a JSON
// object
//
//	{"ready": 3, "launching": 1}
//
// with a required "ready" and an optional "launching" (0 when absent), and no
// other field. The AWS CLI prints exactly that shape with a query, e.g.
//
//	aws ecs describe-services --cluster prod --services web --query "services[0].{ready:runningCount,launching:pendingCount}"
//
// Standard error is ignored unless the command fails.
//
// # Timeouts, retries and the process group
//
// Each attempt runs for at most Config.Timeout. A command that exits with a
// non-zero status, is killed by a signal or times out is run again after a
// backoff (Config.Backoff, doubling, at most MaxBackoff), up to
// Config.Retries more times. A command that cannot be started at all (not
// found, not executable) is not retried. Read output that does not parse is
// not retried either.
//
// Every command runs in a process group of its own. When an attempt times
// out, or ctx is done, the whole group is killed with SIGKILL, so a child the
// command left behind (a hung `aws` under a wrapper script, a background
// `sleep`) does not outlive it; whatever is still in the group when the
// command exits is killed too. A command that must leave something running
// has to detach it (setsid). Cancelling ctx stops a running attempt and any
// further retries at once.
//
// # Output and errors
//
// The last MaxOutput bytes of standard output, and of standard output and
// error together, are kept per attempt. Failures are
// *headroom.Error values with code EUNAVAILABLE wrapping a *CommandError,
// which names the target, the command as it was run, the number of
// attempts, the exit status or timeout, and the tail of the output (at most
// MaxErrorOutput bytes, trimmed). Arguments appear in errors and logs;
// pass secrets through Config.Env, which never does. Invalid configuration
// is a *headroom.Error with code EINVALID from New, naming each bad field.
//
// An Actuator is safe for concurrent use; Scale calls are serialized, so two
// scale commands for one target never race.
package exec
