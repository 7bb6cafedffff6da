package dialect_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/headroomhq/headroom"
	"github.com/headroomhq/headroom/policy/dialect"
)

const (
	headroomYAML = `apiVersion: headroom.dev/v1alpha1
kind: ScalingPolicy
metadata:
  name: web
spec:
  minInstances: 2
  maxInstances: 10
  targetTracking:
    metric: cpu
    target: 60
`
	hpaYAML = `apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: web
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  minReplicas: 2
  maxReplicas: 10
`
	kedaYAML = `apiVersion: keda.sh/v1alpha1
kind: ScaledObject
metadata:
  name: web
spec:
  scaleTargetRef: {name: web}
  minReplicaCount: 1
  triggers:
  - type: cron
    metadata: {timezone: Europe/London, start: 0 8 * * *, end: 0 20 * * *, desiredReplicas: "10"}
`
	awsJSON = `{
    "ScalableTargets": [
        {"ServiceNamespace": "ecs", "ResourceId": "service/default/web", "MinCapacity": 2, "MaxCapacity": 10}
    ]
}
`
)

func TestDetect(t *testing.T) {
	tests := []struct {
		name string
		data string
		want dialect.Format
	}{
		{"headroom", headroomYAML, dialect.Headroom},
		{"HPA", hpaYAML, dialect.HPA},
		{"HPA after its Deployment", "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\n---\n" + hpaYAML, dialect.HPA},
		{"headroom with a YAML error", headroomYAML + "  bad: [\n", dialect.Headroom},
		{"KEDA", kedaYAML, dialect.KEDA},
		{"KEDA after its Deployment", "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\n---\n" + kedaYAML, dialect.KEDA},
		{"KEDA with a YAML error", kedaYAML + "  bad: [\n", dialect.KEDA},
		{"AWS JSON, recognised to say it is not read yet", awsJSON, dialect.AWS},
		{"a Deployment alone", "apiVersion: apps/v1\nkind: Deployment\n", ""},
		{"not YAML at all", "\x00\x01[", ""},
		{"empty", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := dialect.Detect([]byte(tt.data)); got != tt.want {
				t.Errorf("Detect = %q, want %q", got, tt.want)
			}
		})
	}
}

func write(t *testing.T, name, data string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestLoadPolicy(t *testing.T) {
	tests := []struct {
		name   string
		data   string
		format dialect.Format
		// wantName is the policy's name, or "" when an error is expected
		// containing wantErr.
		wantName string
		wantErr  string
	}{
		{"headroom detected", headroomYAML, "", "web", ""},
		{"headroom forced", headroomYAML, dialect.Headroom, "web", ""},
		{"HPA detected", hpaYAML, dialect.Auto, "web", ""},
		{"HPA forced, format in capitals", hpaYAML, "HPA", "web", ""},
		{"HPA forced on headroom's YAML", headroomYAML, dialect.HPA, "", `format: got "hpa", expected a Kubernetes HorizontalPodAutoscaler, the format asked for, but this file looks like headroom's own YAML`},
		{"headroom forced on an HPA", hpaYAML, dialect.Headroom, "", "this file looks like a Kubernetes HorizontalPodAutoscaler; ask for hpa or auto"},
		{"undetectable", "apiVersion: apps/v1\nkind: Deployment\n", "", "", "expected a policy file: headroom's own YAML (apiVersion headroom.dev/v1alpha1), " +
			"a Kubernetes HorizontalPodAutoscaler (apiVersion autoscaling/v2, autoscaling/v2beta2 or autoscaling/v1) or a KEDA ScaledObject (apiVersion keda.sh/v1alpha1)"},
		{"KEDA detected", kedaYAML, "", "web", ""},
		{"KEDA forced", kedaYAML, dialect.KEDA, "web", ""},
		{"KEDA forced on an HPA", hpaYAML, dialect.KEDA, "", "this file looks like a Kubernetes HorizontalPodAutoscaler; ask for hpa or auto"},
		{"KEDA errors come through with their lines", strings.Replace(kedaYAML, "Europe/London", "Europe/Londres", 1), "", "", "policy.yaml:10: spec.triggers[0].metadata.timezone"},
		{"AWS is not read yet", awsJSON, "", "", "AWS Auto Scaling JSON is not read yet; this one looks like AWS Auto Scaling JSON"},
		{"AWS forced", awsJSON, dialect.AWS, "", `format: got "aws", expected a format headroom reads`},
		{"HPA forced on a file of nothing known: the HPA reader says what is missing", "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\n", dialect.HPA, "",
			`found none among Deployment "web"`},
		{"HPA errors come through with their lines", strings.Replace(hpaYAML, "maxReplicas: 10", "maxReplicas: 1", 1), "", "", "policy.yaml:8: spec.maxReplicas"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := write(t, "policy.yaml", tt.data)
			p, _, err := dialect.LoadPolicy(path, tt.format)
			if tt.wantName != "" {
				if err != nil {
					t.Fatalf("got error %v", err)
				}
				if p.Name != tt.wantName {
					t.Errorf("got policy %q, want %q", p.Name, tt.wantName)
				}
				return
			}
			if err == nil {
				t.Fatalf("got policy %+v, want an error", p)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("got error %q, want it to contain %q", err, tt.wantErr)
			}
			if code := headroom.ErrorCode(err); code != headroom.EINVALID {
				t.Errorf("got code %q, want %q", code, headroom.EINVALID)
			}
		})
	}
}

func TestLoadPolicyMissingFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "missing.yaml")
	_, _, err := dialect.LoadPolicy(path, "")
	var in *headroom.InputError
	if !errors.As(err, &in) || in.File != path || !errors.Is(err, os.ErrNotExist) {
		t.Errorf("got %v, want an input error naming %s that wraps os.ErrNotExist", err, path)
	}
}

func TestParseFormat(t *testing.T) {
	for in, want := range map[string]dialect.Format{"": dialect.Auto, "auto": dialect.Auto, " Headroom ": dialect.Headroom, "hpa": dialect.HPA, "keda": dialect.KEDA, "aws": dialect.AWS} {
		if got, err := dialect.ParseFormat(in); err != nil || got != want {
			t.Errorf("ParseFormat(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	_, err := dialect.ParseFormat("kubernetes")
	if err == nil || headroom.ErrorCode(err) != headroom.EINVALID || !strings.Contains(err.Error(), "expected auto, headroom, hpa or keda") {
		t.Errorf("ParseFormat(kubernetes): got %v", err)
	}
}

// FuzzDetect checks that detection never panics.
func FuzzDetect(f *testing.F) {
	for _, s := range []string{headroomYAML, hpaYAML, kedaYAML, awsJSON} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		dialect.Detect(data)
	})
}
