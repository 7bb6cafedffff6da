package kubetest

import (
	"context"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/util/retry"
)

// RESTConfig returns a new config for AdminUser that trusts the server's
// self-signed certificate. client-go's default rate limit (5 requests a
// second) is lifted: a test's requests are few and should not wait.
func (s *Server) RESTConfig() *rest.Config {
	return s.config(s.Token)
}

// PlainRESTConfig returns a new config for PlainUser, for tests of the
// RBAC rules a component needs: it may do nothing until a test binds it a
// role.
func (s *Server) PlainRESTConfig() *rest.Config {
	return s.config(s.PlainToken)
}

func (s *Server) config(token string) *rest.Config {
	return &rest.Config{
		Host:            s.URL,
		BearerToken:     token,
		TLSClientConfig: rest.TLSClientConfig{CAData: append([]byte(nil), s.caData...)},
		QPS:             -1,
	}
}

// Client returns a clientset for AdminUser.
func (s *Server) Client(t testing.TB) kubernetes.Interface {
	t.Helper()
	c, err := kubernetes.NewForConfig(s.RESTConfig())
	if err != nil {
		t.Fatalf("kubetest: clientset: %v", err)
	}
	return c
}

// Kubeconfig writes a kubeconfig file for AdminUser, with the server's
// certificate and token inline and context "kubetest" current, into a
// directory the test removes, and returns its path.
func (s *Server) Kubeconfig(t testing.TB) string {
	t.Helper()
	// Hand-written: the fields are few and fixed, and this keeps
	// client-go's clientcmd out of every test binary that starts a server.
	config := fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- name: kubetest
  cluster:
    server: %s
    certificate-authority-data: %s
users:
- name: %s
  user:
    token: %s
contexts:
- name: kubetest
  context:
    cluster: kubetest
    user: %s
current-context: kubetest
`, s.URL, base64.StdEncoding.EncodeToString(s.caData), AdminUser, s.Token, AdminUser)
	path := filepath.Join(t.TempDir(), "kubeconfig")
	if err := os.WriteFile(path, []byte(config), 0o600); err != nil {
		t.Fatalf("kubetest: %v", err)
	}
	return path
}

// NewNamespace creates a namespace with a generated name for the test and
// returns the name, so that tests sharing a server keep apart. It is not
// deleted: without a controller-manager a deleted namespace would stay
// Terminating, and the server goes away with the test or test binary.
func (s *Server) NewNamespace(t testing.TB) string {
	t.Helper()
	ns, err := s.Client(t).CoreV1().Namespaces().Create(context.Background(),
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "test-"}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("kubetest: create namespace: %v", err)
	}
	return ns.Name
}

// Deployment returns a minimal valid apps/v1 Deployment named name with the
// given replicas, ready to Create. Its image is never pulled: no kubelet
// runs.
func Deployment(name string, replicas int32) *appsv1.Deployment {
	labels := map[string]string{"app": name}
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels},
		Spec: appsv1.DeploymentSpec{
			Replicas: &replicas,
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{Containers: []corev1.Container{{
					Name:  "app",
					Image: "registry.invalid/" + name + ":test",
				}}},
			},
		},
	}
}

// SetReady writes the status that the Deployment controller and kubelets
// would once they had converged on the Deployment's spec.replicas with
// ready of them ready, since no controller-manager runs here to do it. It
// retries on conflict, so it may race a scaler under test.
func SetReady(t testing.TB, c kubernetes.Interface, namespace, name string, ready int32) {
	t.Helper()
	ctx := context.Background()
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		d, err := c.AppsV1().Deployments(namespace).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		replicas := int32(1) // the API server's default
		if d.Spec.Replicas != nil {
			replicas = *d.Spec.Replicas
		}
		d.Status.ObservedGeneration = d.Generation
		d.Status.Replicas = replicas
		d.Status.UpdatedReplicas = replicas
		d.Status.ReadyReplicas = ready
		d.Status.AvailableReplicas = ready
		d.Status.UnavailableReplicas = max(replicas-ready, 0)
		_, err = c.AppsV1().Deployments(namespace).UpdateStatus(ctx, d, metav1.UpdateOptions{})
		return err
	})
	if err != nil {
		t.Fatalf("kubetest: set %s/%s ready=%d: %v", namespace, name, ready, err)
	}
}

// WaitAllowed waits until the authorizer lets the client's user do what
// attrs names. The API server's RBAC authorizer reads Roles and bindings
// from an informer cache, so a binding just created may not apply to the
// next request yet (seen in CI: a 403 right after the RoleBinding's 201).
// A SelfSubjectAccessReview goes through that same authorizer.
// https://kubernetes.io/docs/reference/access-authn-authz/authorization/#checking-api-access
func WaitAllowed(t testing.TB, c kubernetes.Interface, attrs authorizationv1.ResourceAttributes) {
	t.Helper()
	ctx := context.Background()
	deadline := time.Now().Add(30 * time.Second)
	for {
		review, err := c.AuthorizationV1().SelfSubjectAccessReviews().Create(ctx,
			&authorizationv1.SelfSubjectAccessReview{Spec: authorizationv1.SelfSubjectAccessReviewSpec{ResourceAttributes: &attrs}},
			metav1.CreateOptions{})
		if err != nil {
			t.Fatalf("kubetest: SelfSubjectAccessReview for %+v: %v", attrs, err)
		}
		if review.Status.Allowed {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("kubetest: %+v still not allowed after 30 s: %s", attrs, review.Status.Reason)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
