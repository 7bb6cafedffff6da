// Package dialect is the one entry point that reads any policy file: it
// recognises the format by content (or takes the one the user forces) and
// hands the file to the reader of that format, which translates it into a
// headroom.Policy for the one engine.
//
// Formats: headroom's own YAML (package policy), Kubernetes
// HorizontalPodAutoscalers (package policy/hpa), KEDA ScaledObjects
// (package policy/keda) and the JSON the AWS CLI prints for Application Auto
// Scaling and EC2 Auto Scaling (package policy/aws), which alone may spread
// one policy over several files (LoadPolicies).
package dialect
