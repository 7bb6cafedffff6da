package kubetest

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	authorizationv1 "k8s.io/api/authorization/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
)

func TestMain(m *testing.M) { os.Exit(Main(m)) }

// The scale subresource is what actuator/k8s reads and writes; a stale
// resourceVersion must be refused so that a scaler never overwrites a
// change it has not seen.
func TestDeploymentScale(t *testing.T) {
	s := Shared(t)
	c := s.Client(t)
	ctx := context.Background()
	ns := s.NewNamespace(t)

	if _, err := c.AppsV1().Deployments(ns).Create(ctx, Deployment("web", 2), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	scale, err := c.AppsV1().Deployments(ns).GetScale(ctx, "web", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := scale.Spec.Replicas, int32(2); got != want {
		t.Fatalf("spec.replicas = %d, want %d", got, want)
	}

	stale := scale.DeepCopy()
	scale.Spec.Replicas = 5
	updated, err := c.AppsV1().Deployments(ns).UpdateScale(ctx, "web", scale, metav1.UpdateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := updated.Spec.Replicas, int32(5); got != want {
		t.Fatalf("after UpdateScale spec.replicas = %d, want %d", got, want)
	}
	d, err := c.AppsV1().Deployments(ns).Get(ctx, "web", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := *d.Spec.Replicas, int32(5); got != want {
		t.Fatalf("deployment spec.replicas = %d, want %d", got, want)
	}

	stale.Spec.Replicas = 3
	_, err = c.AppsV1().Deployments(ns).UpdateScale(ctx, "web", stale, metav1.UpdateOptions{})
	if !apierrors.IsConflict(err) {
		t.Fatalf("UpdateScale with resourceVersion %s (now %s): err = %v, want a 409 Conflict", stale.ResourceVersion, updated.ResourceVersion, err)
	}
}

// No controller-manager runs, so status is only what SetReady writes.
func TestSetReady(t *testing.T) {
	s := Shared(t)
	c := s.Client(t)
	ctx := context.Background()
	ns := s.NewNamespace(t)
	if _, err := c.AppsV1().Deployments(ns).Create(ctx, Deployment("api", 4), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}

	SetReady(t, c, ns, "api", 3)

	d, err := c.AppsV1().Deployments(ns).Get(ctx, "api", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if d.Status.Replicas != 4 || d.Status.ReadyReplicas != 3 || d.Status.AvailableReplicas != 3 || d.Status.ObservedGeneration != d.Generation {
		t.Fatalf("status = %+v, want replicas 4, ready 3, available 3, observedGeneration %d", d.Status, d.Generation)
	}
	scale, err := c.AppsV1().Deployments(ns).GetScale(ctx, "api", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := scale.Status.Replicas, int32(4); got != want {
		t.Fatalf("scale status.replicas = %d, want %d", got, want)
	}
}

// PlainUser gets nothing until a role is bound to it, so a test can check
// the least RBAC a component needs.
func TestPlainUserNeedsRBAC(t *testing.T) {
	s := Shared(t)
	admin := s.Client(t)
	ctx := context.Background()
	ns := s.NewNamespace(t)
	if _, err := admin.AppsV1().Deployments(ns).Create(ctx, Deployment("web", 1), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	plain, err := kubernetes.NewForConfig(s.PlainRESTConfig())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := plain.AppsV1().Deployments(ns).GetScale(ctx, "web", metav1.GetOptions{}); !apierrors.IsForbidden(err) {
		t.Fatalf("GetScale as %s before any role: err = %v, want 403 Forbidden", PlainUser, err)
	}

	role := &rbacv1.Role{
		ObjectMeta: metav1.ObjectMeta{Name: "scaler"},
		Rules:      []rbacv1.PolicyRule{{APIGroups: []string{"apps"}, Resources: []string{"deployments/scale"}, Verbs: []string{"get"}}},
	}
	if _, err := admin.RbacV1().Roles(ns).Create(ctx, role, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	binding := &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "scaler"},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: "scaler"},
		Subjects:   []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: rbacv1.UserKind, Name: PlainUser}},
	}
	if _, err := admin.RbacV1().RoleBindings(ns).Create(ctx, binding, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	WaitAllowed(t, plain, authorizationv1.ResourceAttributes{Namespace: ns, Verb: "get", Group: "apps", Resource: "deployments", Subresource: "scale", Name: "web"})
	if _, err := plain.AppsV1().Deployments(ns).GetScale(ctx, "web", metav1.GetOptions{}); err != nil {
		t.Fatalf("GetScale as %s with the role bound: %v", PlainUser, err)
	}
}

// The CLI reads a kubeconfig path from headroom.yaml; clientcmd must load
// the file and reach the server with it, verifying its certificate.
func TestKubeconfig(t *testing.T) {
	s := Shared(t)
	config, err := clientcmd.BuildConfigFromFlags("", s.Kubeconfig(t))
	if err != nil {
		t.Fatal(err)
	}
	if config.Host != s.URL {
		t.Fatalf("kubeconfig server = %s, want %s", config.Host, s.URL)
	}
	c, err := kubernetes.NewForConfig(config)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.CoreV1().Namespaces().Get(context.Background(), "kube-system", metav1.GetOptions{}); err != nil {
		t.Fatalf("get namespace kube-system through the kubeconfig: %v", err)
	}
}

// A server of the test's own reports the version the build script stamped
// in, and Stop leaves no process behind.
func TestStartStop(t *testing.T) {
	s := Start(t)
	info, err := s.Client(t).Discovery().ServerVersion()
	if err != nil {
		t.Fatal(err)
	}
	if got, want := info.GitVersion, "v1.37.2"; got != want {
		t.Errorf("server version = %q, want %q (hack/build-kube.sh's -ldflags)", got, want)
	}
	s.Stop()
	for _, p := range []*process{s.apiserver, s.etcd} {
		if p.cmd.ProcessState == nil {
			t.Errorf("%s still running after Stop", p.name)
		}
	}
}

// Regression guard: the harness must look for the binaries where
// hack/build-kube.sh puts them, or a developer who ran it once would still
// see the tests skipped.
func TestCacheDirMatchesBuildScript(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("hack/build-kube.sh is a bash script")
	}
	if _, err := exec.LookPath("sha256sum"); err != nil {
		t.Skip("no sha256sum for hack/build-kube.sh")
	}
	root, err := repoRoot()
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("bash", filepath.Join(root, "hack", "build-kube.sh"), "--print").Output()
	if err != nil {
		t.Fatalf("hack/build-kube.sh --print: %v", err)
	}
	dir, err := cacheDir()
	if err != nil {
		t.Fatal(err)
	}
	want := envAPIServer + "=" + filepath.Join(dir, "kube-apiserver")
	if !strings.Contains(string(out), want+"\n") {
		t.Fatalf("hack/build-kube.sh --print printed\n%s\nwant a line %s", out, want)
	}
}
