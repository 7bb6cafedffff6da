// Package keda reads KEDA ScaledObjects (apiVersion keda.sh/v1alpha1) as
// they are kept in git, alone or next to the Deployment or StatefulSet they
// scale, and translates them into a headroom.Policy for the one engine.
//
// KEDA does not scale between 1 and N replicas itself: it generates a
// HorizontalPodAutoscaler whose metrics are its triggers, and the HPA
// controller does the rest. So a ScaledObject becomes what that HPA means:
// target tracking with the HPA's algorithm, one metric per trigger, the
// behavior of advanced.horizontalPodAutoscalerConfig (or the HPA's legacy
// path without one), min max(minReplicaCount, 1) and max maxReplicaCount.
// A cron trigger is a metric computed from the clock (desiredReplicas
// inside its window, 1 outside, against an AverageValue target of 1), not
// a scheduled action: that is why the HPA's tolerance applies to it and why
// the end of a window is a cliff that lands after the scale-down
// stabilization window.
//
// The ScaledObject is decoded into small structs of this package (KEDA's
// own Go module is too heavy for `headroom check`) with the API server's
// strictness, through policy/hpa's object reader, so that every problem
// names its file, line and field. What headroom does not model (memory
// triggers, absolute CPU targets, other scalers, scaling to zero, scaling
// modifiers) is an error or a warning, never silently dropped. Each rule
// cites the KEDA documentation.
//
// See docs/KEDA.md for the mapping, field by field.
package keda
