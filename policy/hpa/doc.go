// Package hpa reads Kubernetes HorizontalPodAutoscalers (autoscaling/v2, and
// the older autoscaling/v2beta2 and autoscaling/v1) as they are kept in git,
// alone or next to the Deployment or StatefulSet they scale, and translates
// them into a headroom.Policy with the semantics and defaults of the HPA
// controller, each cited from the Kubernetes documentation.
//
// Objects are decoded into the real k8s.io/api types with the API server's
// strictness (unknown fields, wrong types and malformed quantities are
// errors), while their YAML node trees are kept so that every problem names
// its file, line and field. What headroom does not model (memory targets,
// absolute CPU targets, scaling to zero) is an error, never silently
// dropped; where the translation approximates (custom metrics read as
// request rates, a container's CPU taken as the pod's), a warning says so.
//
// See docs/HPA.md for the mapping, field by field.
package hpa
