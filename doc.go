// Package headroom holds the domain of headroom: services and their SLOs,
// autoscaling policies, traffic series, observations, decisions with their
// reasons, and the application's error types. It imports only the standard
// library; engines, readers, stores and adapters live in subpackages and
// depend on it, never the other way round.
package headroom
