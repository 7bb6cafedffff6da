// Package policy reads headroom's own YAML: a Service (the model of the
// service and its SLO) and a ScalingPolicy (min/max, scheduled actions and
// target tracking with the HPA algorithm), in apiVersion/kind documents like
// Kubernetes manifests. Every problem is reported with file:line, the value
// and what was expected, all at once rather than one per run.
//
// See docs/POLICY.md for the format.
package policy
