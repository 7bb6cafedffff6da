// Command kube-apiserver is Kubernetes' own kube-apiserver, built from the
// k8s.io/kubernetes module so that headroom's tests can run a real API
// server without Docker or a download site. It is test tooling only: see
// hack/README.md and internal/kubetest.
package main

import (
	"os"
	_ "time/tzdata" // CronJob time zones, as upstream's main has it

	"k8s.io/component-base/cli"
	_ "k8s.io/component-base/logs/json/register"          // --logging-format=json
	_ "k8s.io/component-base/metrics/prometheus/clientgo" // client-go metrics
	_ "k8s.io/component-base/metrics/prometheus/version"  // version metric
	"k8s.io/kubernetes/cmd/kube-apiserver/app"
)

// main mirrors k8s.io/kubernetes/cmd/kube-apiserver/apiserver.go, which is
// package main upstream and so cannot be imported.
func main() {
	os.Exit(cli.Run(app.NewAPIServerCommand()))
}
