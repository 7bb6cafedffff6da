package k8s_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/headroomhq/headroom"
	"github.com/headroomhq/headroom/actuator/k8s"
	"github.com/headroomhq/headroom/internal/kubetest"
	"go.yaml.in/yaml/v3"
	appsv1 "k8s.io/api/apps/v1"
	authenticationv1 "k8s.io/api/authentication/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
)

// deployDir holds the manifests `kubectl apply -k deploy/` applies.
const deployDir = "../../deploy"

// applyDeployFile creates the object of one manifest of deploy/ in ns, as
// written: the API server validates it.
func applyDeployFile(t *testing.T, c kubernetes.Interface, ns, name string) runtime.Object {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(deployDir, name))
	if err != nil {
		t.Fatal(err)
	}
	obj, _, err := scheme.Codecs.UniversalDeserializer().Decode(data, nil, nil)
	if err != nil {
		t.Fatalf("deploy/%s: %v", name, err)
	}
	ctx, opts := context.Background(), metav1.CreateOptions{}
	switch o := obj.(type) {
	case *corev1.ServiceAccount:
		_, err = c.CoreV1().ServiceAccounts(ns).Create(ctx, o, opts)
	case *rbacv1.Role:
		_, err = c.RbacV1().Roles(ns).Create(ctx, o, opts)
	case *rbacv1.RoleBinding:
		_, err = c.RbacV1().RoleBindings(ns).Create(ctx, o, opts)
	case *appsv1.Deployment:
		_, err = c.AppsV1().Deployments(ns).Create(ctx, o, opts)
	case *corev1.Service:
		_, err = c.CoreV1().Services(ns).Create(ctx, o, opts)
	case *policyv1.PodDisruptionBudget:
		_, err = c.PolicyV1().PodDisruptionBudgets(ns).Create(ctx, o, opts)
	default:
		t.Fatalf("deploy/%s: a %T, which the test does not create", name, obj)
	}
	if err != nil {
		t.Fatalf("create deploy/%s: %v", name, err)
	}
	return obj
}

// The manifests of deploy/ are what the API server accepts, and the Role
// they bind to headroom's ServiceAccount is enough for everything the
// actuator does (read a Deployment's count, scale it with an Event, hold an
// HPA's minReplicas) and no more: the actuator runs here with a token of
// that ServiceAccount, from the TokenRequest API as the kubelet would mount
// it.
func TestDeployRBACIsWhatTheActuatorNeeds(t *testing.T) {
	s := kubetest.Shared(t)
	admin := s.Client(t)
	ctx := context.Background()
	ns := s.NewNamespace(t)
	for _, f := range []string{"serviceaccount.yaml", "role.yaml", "rolebinding.yaml", "deployment.yaml", "service.yaml", "poddisruptionbudget.yaml"} {
		applyDeployFile(t, admin, ns, f)
	}

	// A token of the ServiceAccount, and a client that presents only it.
	expire := int64(600)
	tok, err := admin.CoreV1().ServiceAccounts(ns).CreateToken(ctx, "headroom",
		&authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: &expire}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("TokenRequest for headroom's ServiceAccount: %v", err)
	}
	config := s.PlainRESTConfig()
	config.BearerToken = tok.Status.Token
	sa, err := kubernetes.NewForConfig(config)
	if err != nil {
		t.Fatal(err)
	}
	who, err := sa.AuthenticationV1().SelfSubjectReviews().Create(ctx, &authenticationv1.SelfSubjectReview{}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if want := "system:serviceaccount:" + ns + ":headroom"; who.Status.UserInfo.Username != want {
		t.Fatalf("the token authenticates %q, want %q", who.Status.UserInfo.Username, want)
	}
	// The Role and its binding reach the authorizer's cache a moment after
	// their 201s; one of the Role's rules applying means both are there.
	kubetest.WaitAllowed(t, sa, authorizationv1.ResourceAttributes{Namespace: ns, Verb: "create", Resource: "events"})

	// The workload and its HPA, made by someone else.
	if _, err := admin.AppsV1().Deployments(ns).Create(ctx, kubetest.Deployment("web", 8), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	kubetest.SetReady(t, admin, ns, "web", 8)
	if _, err := admin.AutoscalingV2().HorizontalPodAutoscalers(ns).Create(ctx, hpa("web", 2, 10), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}

	a := newActuator(t, sa, ns, k8s.Deployment, "web", "web")
	got, err := a.Capacity(ctx)
	if err != nil || got.Ready != 8 {
		t.Fatalf("Capacity as the ServiceAccount = %+v, %v; want 8 ready", got, err)
	}
	reason := headroom.Reason{Code: "TargetTracking", Message: "cpu 90% above the target 60%"}
	if err := a.Scale(ctx, 12, reason); err != nil {
		t.Fatalf("Scale as the ServiceAccount: %v", err)
	}
	if r := replicas(t, admin, ns, "web"); r != 12 {
		t.Errorf("replicas = %d after Scale(12), want 12", r)
	}
	if min, err := a.PlatformMin(ctx); err != nil || min != 2 {
		t.Errorf("PlatformMin as the ServiceAccount = %d, %v; want 2", min, err)
	}
	if err := a.SetFloor(ctx, 9, headroom.Reason{Code: "ScaleInDeferred", Message: "demand needs 9"}); err != nil {
		t.Fatalf("SetFloor as the ServiceAccount: %v", err)
	}
	if lo, _, _ := bounds(t, admin, ns, "web"); lo != 9 {
		t.Errorf("minReplicas = %d after SetFloor(9), want 9", lo)
	}
	// Events are best effort in the actuator: only the Role's events rule
	// lets them be written, so they are checked here.
	events, err := admin.CoreV1().Events(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var reasons []string
	for _, e := range events.Items {
		reasons = append(reasons, e.InvolvedObject.Kind+"/"+e.Reason)
		if e.InvolvedObject.Kind == "Deployment" && !strings.Contains(e.Message, reason.Message) {
			t.Errorf("the Deployment's event says %q, want the decision's reason %q", e.Message, reason.Message)
		}
	}
	for _, want := range []string{"Deployment/Rescaled", "HorizontalPodAutoscaler/GuardFloor"} {
		if !strings.Contains(strings.Join(reasons, " "), want) {
			t.Errorf("events = %v, want one %s written as the ServiceAccount", reasons, want)
		}
	}

	// And nothing more: no delete, no secrets, no other namespace.
	other := s.NewNamespace(t)
	if _, err := admin.AppsV1().Deployments(other).Create(ctx, kubetest.Deployment("web", 3), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	refused := map[string]error{
		"delete the Deployment": sa.AppsV1().Deployments(ns).Delete(ctx, "web", metav1.DeleteOptions{}),
	}
	_, refused["list secrets"] = sa.CoreV1().Secrets(ns).List(ctx, metav1.ListOptions{})
	_, refused["update the Deployment itself"] = sa.AppsV1().Deployments(ns).Update(ctx, kubetest.Deployment("web", 1), metav1.UpdateOptions{})
	_, refused["read a scale in another namespace"] = sa.AppsV1().Deployments(other).GetScale(ctx, "web", metav1.GetOptions{})
	for what, err := range refused {
		if !apierrors.IsForbidden(err) {
			t.Errorf("%s as headroom's ServiceAccount: err = %v, want 403 Forbidden", what, err)
		}
	}
}

// kustomization.yaml applies every manifest of deploy/ that the test above
// creates, and the config files its ConfigMap is made of exist.
func TestKustomizationListsEveryManifest(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(deployDir, "kustomization.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var k struct {
		Resources          []string `yaml:"resources"`
		ConfigMapGenerator []struct {
			Files []string `yaml:"files"`
		} `yaml:"configMapGenerator"`
	}
	if err := yaml.Unmarshal(data, &k); err != nil {
		t.Fatal(err)
	}
	manifests, err := filepath.Glob(filepath.Join(deployDir, "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, m := range manifests {
		if b := filepath.Base(m); b != "kustomization.yaml" {
			want = append(want, b)
		}
	}
	slices.Sort(want)
	got := slices.Sorted(slices.Values(k.Resources))
	if !slices.Equal(got, want) {
		t.Errorf("kustomization resources = %v, want every manifest of deploy/: %v", got, want)
	}
	for _, g := range k.ConfigMapGenerator {
		for _, f := range g.Files {
			if _, err := os.Stat(filepath.Join(deployDir, f)); err != nil {
				t.Errorf("configMapGenerator file %s: %v", f, err)
			}
		}
	}
}
