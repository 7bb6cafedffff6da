// Package dialect is the one entry point that reads any policy file: it
// recognises the format by content (or takes the one the user forces) and
// hands the file to the reader of that format, which translates it into a
// headroom.Policy for the one engine.
//
// Formats: headroom's own YAML (package policy), Kubernetes
// HorizontalPodAutoscalers (package policy/hpa) and KEDA ScaledObjects
// (package policy/keda). AWS Auto Scaling JSON is recognised only to say
// that it is not read yet.
package dialect
