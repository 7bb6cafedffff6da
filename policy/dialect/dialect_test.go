package dialect_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/headroomhq/headroom"
	"github.com/headroomhq/headroom/internal/inputfile"
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
        {"ServiceNamespace": "ecs", "ResourceId": "service/default/web", "ScalableDimension": "ecs:service:DesiredCount", "MinCapacity": 2, "MaxCapacity": 10}
    ]
}
`
	awsPoliciesJSON = `{
    "ScalingPolicies": [
        {
            "PolicyName": "web-cpu60",
            "ServiceNamespace": "ecs",
            "ResourceId": "service/default/web",
            "ScalableDimension": "ecs:service:DesiredCount",
            "PolicyType": "TargetTrackingScaling",
            "TargetTrackingScalingPolicyConfiguration": {
                "TargetValue": 60.0,
                "PredefinedMetricSpecification": {"PredefinedMetricType": "ECSServiceAverageCPUUtilization"}
            }
        }
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
		{"AWS JSON", awsJSON, dialect.AWS},
		{"AWS JSON saved as UTF-16 by PowerShell", utf16LE(awsJSON), dialect.AWS},
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

// utf16LE is s as PowerShell's `>` saves it: UTF-16, little-endian, with a
// byte order mark.
func utf16LE(s string) string {
	b := []byte{0xFF, 0xFE}
	for _, u := range utf16.Encode([]rune(s)) {
		b = append(b, byte(u), byte(u>>8))
	}
	return string(b)
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
			"a Kubernetes HorizontalPodAutoscaler (apiVersion autoscaling/v2, autoscaling/v2beta2 or autoscaling/v1), a KEDA ScaledObject (apiVersion keda.sh/v1alpha1) " +
			"or AWS Auto Scaling JSON"},
		{"KEDA detected", kedaYAML, "", "web", ""},
		{"KEDA forced", kedaYAML, dialect.KEDA, "web", ""},
		{"KEDA forced on an HPA", hpaYAML, dialect.KEDA, "", "this file looks like a Kubernetes HorizontalPodAutoscaler; ask for hpa or auto"},
		{"KEDA errors come through with their lines", strings.Replace(kedaYAML, "Europe/London", "Europe/Londres", 1), "", "", "policy.yaml:10: spec.triggers[0].metadata.timezone"},
		{"AWS detected", awsJSON, "", "service/default/web", ""},
		{"AWS forced", awsJSON, dialect.AWS, "service/default/web", ""},
		{"AWS forced on an HPA", hpaYAML, dialect.AWS, "", "this file looks like a Kubernetes HorizontalPodAutoscaler; ask for hpa or auto"},
		{"HPA forced on AWS JSON", awsJSON, dialect.HPA, "", "this file looks like AWS Auto Scaling JSON; ask for aws or auto"},
		{"AWS errors come through with their lines and JSON paths", strings.Replace(awsJSON, `"MaxCapacity": 10`, `"MaxCapacity": 1`, 1), "", "",
			`policy.yaml:3: ScalableTargets[0].MaxCapacity: got "1", expected at least MinCapacity (2)`},
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

// Regression test for policy files read whole with no limit:
// --proposed /dev/zero grew to 23.8 GB. A device, a directory and a file
// above 16 MiB are refused at once, naming the file, alone or among
// several.
func TestLoadPolicyRefusesUnboundedInput(t *testing.T) {
	dir := t.TempDir()
	big := filepath.Join(dir, "big.yaml")
	if err := os.WriteFile(big, []byte("# "+strings.Repeat("x", 16<<20)+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		path string
		want error
	}{
		{"/dev/zero", inputfile.ErrNotRegular},
		{dir, inputfile.ErrNotRegular},
		{big, inputfile.ErrTooLarge},
	}
	for _, tt := range tests {
		for _, paths := range [][]string{{tt.path}, {tt.path, tt.path}} {
			_, _, err := dialect.LoadPolicies(paths, "")
			var in *headroom.InputError
			if !errors.As(err, &in) || in.File != tt.path || !errors.Is(err, tt.want) {
				t.Errorf("%d file(s) %s: got %v, want an input error naming it that wraps %v", len(paths), tt.path, err, tt.want)
			}
		}
	}
}

func TestParseFormat(t *testing.T) {
	for in, want := range map[string]dialect.Format{"": dialect.Auto, "auto": dialect.Auto, " Headroom ": dialect.Headroom, "hpa": dialect.HPA, "keda": dialect.KEDA, "aws": dialect.AWS, "AWS": dialect.AWS} {
		if got, err := dialect.ParseFormat(in); err != nil || got != want {
			t.Errorf("ParseFormat(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	_, err := dialect.ParseFormat("kubernetes")
	if err == nil || headroom.ErrorCode(err) != headroom.EINVALID || !strings.Contains(err.Error(), "expected auto, headroom, hpa, keda or aws") {
		t.Errorf("ParseFormat(kubernetes): got %v", err)
	}
}

// FuzzDetect checks that detection never panics.
func FuzzDetect(f *testing.F) {
	for _, s := range []string{headroomYAML, hpaYAML, kedaYAML, awsJSON, awsPoliciesJSON} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		dialect.Detect(data)
	})
}

func TestLoadPolicies(t *testing.T) {
	targets := write(t, "targets.json", awsJSON)
	policies := write(t, "policies.json", awsPoliciesJSON)
	hpaFile := write(t, "hpa.yaml", hpaYAML)

	p, _, err := dialect.LoadPolicies([]string{targets, policies}, dialect.Auto)
	if err != nil {
		t.Fatal(err)
	}
	if p.Name != "service/default/web" || p.Min != 2 || p.Max != 10 || p.Target == nil || len(p.Target.Metrics) != 1 {
		t.Errorf("got %+v", p)
	}
	if p, _, err := dialect.LoadPolicies([]string{hpaFile}, dialect.Auto); err != nil || p.Name != "web" {
		t.Errorf("one HPA file: got %v, %v", p, err)
	}
	tests := []struct {
		name   string
		paths  []string
		format dialect.Format
		// wantFile is the file the error names, and wantErr part of it.
		wantFile, wantErr string
	}{
		{"the policies alone lack their scalable target", []string{policies, policies}, dialect.Auto, policies, "describe-scalable-targets"},
		{"an HPA among AWS files", []string{targets, hpaFile}, dialect.Auto, hpaFile, "this one looks like a Kubernetes HorizontalPodAutoscaler"},
		{"several files of another format forced", []string{hpaFile, hpaFile}, dialect.HPA, hpaFile, "only AWS Auto Scaling JSON makes one policy of several files"},
		{"a missing file", []string{targets, filepath.Join(t.TempDir(), "gone.json")}, dialect.AWS, "gone.json", "a readable policy file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := dialect.LoadPolicies(tt.paths, tt.format)
			if err == nil || !strings.Contains(err.Error(), tt.wantFile) || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("got %v, want an error naming %s with %q", err, tt.wantFile, tt.wantErr)
			}
			if code := headroom.ErrorCode(err); code != headroom.EINVALID {
				t.Errorf("got code %q", code)
			}
		})
	}
}
