// Package kedadiff is headroom's differential test against KEDA's own cron
// scaler (issue 14, item 1).
//
// Each scenario (Generate) is a ScaledObject with one cron trigger: start
// and end in five-field cron, an IANA time zone (most with daylight saving
// time) and desiredReplicas, looked at every minute for two days around
// one of the zone's clock changes in 2026. KEDA's side is
// github.com/kedacore/keda/v2 pkg/scalers' NewCronScaler and
// GetMetricsAndActivity, unmodified, inside a testing/synctest bubble,
// whose virtual clock is the time.Now the scaler reads. Headroom's side
// reads the same ScaledObject with policy/keda and runs engine.Decide each
// minute. Compared: whether the window is active, the metric value, and
// the replica count the HPA asks for.
//
//	go test ./...                                                    # 100 fixed-seed scenarios
//	go test -run TestCronFull -kedadiff.n=2000 -timeout 1h           # the full set, with a tally
//
// docs/KEDA.md ("Differential test against KEDA's cron scaler") has the
// figures and explains every class of divergence.
package kedadiff
