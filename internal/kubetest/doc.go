// Package kubetest runs a real kube-apiserver, on a real etcd, for tests of
// the code that talks to Kubernetes (actuator/k8s, the controller, the CLI).
//
// The binaries are built from the Go module proxy by hack/build-kube.sh
// (there is no Docker or download site here) and found through
// HEADROOM_KUBE_APISERVER and HEADROOM_ETCD, or else in the script's cache
// directory. Without them a test is skipped, and under CI=true it fails.
//
// No controller-manager runs, on purpose: nothing fights the code under test,
// so a Deployment's status changes only when a test sets it (SetReady), and a
// deleted namespace stays Terminating.
package kubetest
