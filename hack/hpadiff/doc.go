// Package hpadiff is headroom's differential test against the upstream
// Kubernetes HPA controller (issue 14, item 1).
//
// Each scenario (Generate) is an autoscaling/v2 HPA on CPU utilization,
// with or without a behavior section (per-direction tolerances included),
// in some a second metric (a Pods or an External request rate), a
// starting replica count, a closed-loop demand curve with missing samples,
// in some a launch time during which new pods are not ready, and in some
// an edit of minReplicas/maxReplicas mid-run. The test side drives
// k8s.io/kubernetes's own HorizontalController (NewHorizontalController
// and Run, with client-go's fake clientset, a fake scale client and a
// metrics client answering the scenario's values) inside a
// testing/synctest bubble, whose virtual clock is what the controller's
// time.Now, work queue and informers read: the 15 s resync and the
// stabilization windows pass instantly and always at the same instants.
// The fake API server takes -hpadiff.latency (1 ms) to answer a scale
// read, so syncs drift as a real cluster's do; 0 gives exact 15 s syncs.
// Headroom's side (Headroom) parses the same manifest with policy/hpa and
// calls engine.Decide at the instants the controller synced. The replica
// counts after every sync are compared.
//
//	go test ./...                                                  # 200 fixed-seed scenarios
//	go test -run TestDifferentialFull -hpadiff.n=10000 -timeout 1h # the full set, with a tally
//
// docs/HPA.md ("Differential test against the upstream controller") has
// the figures and explains every class of divergence.
package hpadiff
