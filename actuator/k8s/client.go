package k8s

import (
	"github.com/headroomhq/headroom"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
)

// The client's rate limit when the kubeconfig sets none.
const (
	DefaultQPS   = 50
	DefaultBurst = 100
)

// NewClient connects with a kubeconfig file and context, the way kubectl
// does: an empty path means $KUBECONFIG or ~/.kube/config, and, with none
// of those, the in-cluster service account; an empty context is the
// file's current one.
func NewClient(kubeconfig, context string) (kubernetes.Interface, error) {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	if kubeconfig != "" {
		rules.ExplicitPath = kubeconfig
	}
	cfg, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules,
		&clientcmd.ConfigOverrides{CurrentContext: context}).ClientConfig()
	if err != nil {
		return nil, &headroom.Error{Code: headroom.EINVALID, Message: "kubernetes client config", Err: err}
	}
	cfg.UserAgent = Component
	// client-go's defaults (5 requests/s, bursts of 10) are kubectl's: one
	// client serves every target of a loop (2–3 requests each), and at 5/s
	// a few dozen targets would outlast the loop and the lease.
	if cfg.QPS == 0 {
		cfg.QPS, cfg.Burst = DefaultQPS, DefaultBurst
	}
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, &headroom.Error{Code: headroom.EINVALID, Message: "kubernetes client", Err: err}
	}
	return client, nil
}
