// Package k8s is the Kubernetes actuator: it reads and sets the replica
// count of a Deployment or StatefulSet through the scale subresource, and,
// in guard mode, holds a HorizontalPodAutoscaler's minReplicas above a
// floor while the HPA keeps scaling.
//
// # Scaling
//
// Capacity reads the workload: spec.replicas is the count (1 when unset, as
// the API server defaults it), status.readyReplicas the ready part, the rest
// launching. Scale reads the scale subresource and writes it back with the
// resourceVersion it read, so a change made between the two fails the write
// (409 Conflict) and is read again; a count set before the loop read it is
// replaced by the decision, as the HPA replaces it
// (https://kubernetes.io/docs/reference/using-api/api-concepts/#resource-versions,
// https://kubernetes.io/docs/tasks/run-application/horizontal-pod-autoscale/#support-for-the-scale-subresource).
// Server errors (5xx, 429, timeouts) are retried with a doubling backoff;
// refusals (404, 403, 422) are not. Each applied change is recorded as a
// Kubernetes Event on the workload with the decision's reason, so
// `kubectl describe` says why, like the HPA's SuccessfulRescale events.
//
// # Guard mode
//
// The HPA keeps scaling. SetFloor raises spec.minReplicas to the floor (and
// spec.maxReplicas too when the floor is above it: the API server refuses
// min > max) and writes what it replaced into the annotation
//
//	headroom.dev/guard: {"minReplicas":2,"maxReplicas":10,"floor":57}
//
// on the HPA itself, so what to restore survives a restart of headroom and
// is visible to `kubectl get hpa -o yaml`. When the floor falls back to the
// HPA's own minimum, the annotated values are restored and the annotation
// removed. A value someone else changed while it was raised (a CronJob
// lowering minReplicas at night, an engineer) is adopted as the HPA's own:
// headroom never restores over a newer human decision, and the next floor
// is computed against the new minimum.
//
// headroom needs RBAC verbs get/update on deployments/scale or
// statefulsets/scale, get on the workload, get/update on
// horizontalpodautoscalers (guard mode) and create on events.
package k8s
