package headroom

import (
	"context"
	"time"
)

// MetricsSource reads what a target's autoscaler observes. Implementations:
// metrics/prom (the Prometheus HTTP API).
type MetricsSource interface {
	// Observe returns what was observable at now: each metric averaged over
	// the source's window ending at now. A metric the source does not
	// track, or that has no sample, is left unset (Has... false): the
	// engine treats a missing metric as the platforms do.
	//
	// Errors: *Error with code EUNAVAILABLE when the source cannot be
	// reached, times out or answers with an error; EINVALID when its
	// configuration (a query) is wrong.
	Observe(ctx context.Context, now time.Time) (Observation, error)
}

// Actuator reads and sets a target's capacity. Implementations:
// actuator/exec (a command), actuator/k8s (the scale subresource).
type Actuator interface {
	// Capacity returns the target's current capacity.
	//
	// Errors: *Error with code EUNAVAILABLE when the target cannot be
	// read.
	Capacity(ctx context.Context) (Capacity, error)
	// Scale sets the desired instance count; reason says why, for the
	// platform's own records.
	//
	// Errors: *Error with code EUNAVAILABLE when the platform did not
	// take the change (after the actuator's own retries); EINVALID when
	// the request is refused as malformed.
	Scale(ctx context.Context, desired int, reason Reason) error
}
