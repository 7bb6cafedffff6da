package dialect

import (
	"fmt"
	"time"

	"github.com/headroomhq/headroom"
	"github.com/headroomhq/headroom/policy"
	"github.com/headroomhq/headroom/policy/aws"
	"github.com/headroomhq/headroom/policy/hpa"
	"github.com/headroomhq/headroom/policy/keda"
)

// Writer writes policies into one file's format: the file a policy was
// read from (CURRENT), whose comments and other fields it keeps.
type Writer struct {
	Path   string
	Data   []byte
	Format Format
}

// NewWriter returns the writer of the file at path with content data in
// format f (Auto detects it). It reads the file once, so that a file that
// cannot be written back is refused before any work is done.
//
// Errors are those of ParsePolicy.
func NewWriter(path string, data []byte, f Format) (*Writer, error) {
	f, err := ParseFormat(string(f))
	if err != nil {
		return nil, err
	}
	if f == Auto {
		f = Detect(data)
	}
	if _, _, err := ParsePolicy(path, data, f); err != nil {
		return nil, err
	}
	return &Writer{Path: path, Data: data, Format: f}, nil
}

// Write returns the file with p written in.
//
// Errors are *headroom.InputError: the file does not hold p's metrics, or
// the format cannot express p — a HorizontalPodAutoscaler has no
// schedules; KEDA cron triggers and AWS scheduled actions set floors only.
func (w *Writer) Write(p *headroom.Policy) ([]byte, error) {
	switch w.Format {
	case Headroom:
		return policy.Rewrite(w.Path, w.Data, p)
	case HPA:
		return hpa.Rewrite(w.Path, w.Data, p)
	case KEDA:
		return keda.Rewrite(w.Path, w.Data, p)
	case AWS:
		return aws.Rewrite(w.Path, w.Data, p)
	}
	return nil, &headroom.InputError{File: w.Path, Field: "format", Value: string(w.Format),
		Expected: fmt.Sprintf("a format recommend writes back (%s cannot be written)", describe(w.Format))}
}

// Express returns what p becomes in the format: p written into the file
// and read back. The search simulates it, so what is proved is what is
// written (a KEDA cron window is a metric with the HPA's tolerance, not a
// scheduled action; EC2 runs a scheduled action up to two minutes late).
//
// Errors are those of Write and ParsePolicy.
func (w *Writer) Express(p *headroom.Policy) (*headroom.Policy, error) {
	out, err := w.Write(p)
	if err != nil {
		return nil, err
	}
	q, _, err := ParsePolicy(w.Path, out, w.Format)
	if err != nil {
		return nil, fmt.Errorf("read back the policy written into %s: %w", w.Path, err)
	}
	return q, nil
}

// Schedules reports whether the format holds floors by time of day: all
// but a plain HorizontalPodAutoscaler.
func (w *Writer) Schedules() bool { return w.Format != HPA }

// FloorDelay is how late the platform sets a floor after its time: EC2
// Auto Scaling runs a scheduled action up to two minutes late; a KEDA cron
// window is read by the HPA at its next sync, up to 15 s later.
func (w *Writer) FloorDelay() time.Duration {
	switch w.Format {
	case AWS:
		return aws.ScheduleDelay(w.Data)
	case KEDA:
		return policy.DefaultSyncPeriod
	}
	return 0
}

// Script returns, for AWS, the shell script of the AWS CLI commands that
// apply p (aws.Script); nil for the other formats, whose file is applied
// as it is (kubectl apply).
func (w *Writer) Script(p *headroom.Policy) ([]byte, error) {
	if w.Format != AWS {
		return nil, nil
	}
	return aws.Script(w.Path, w.Data, p)
}

// KEDA returns, for a HorizontalPodAutoscaler, the writer of a KEDA
// ScaledObject for the same workload (keda.FromHPA), to be written at
// path: the format in which its floors can run by time of day.
//
// Errors are *headroom.InputError: the file is no HPA, or its metrics
// have no KEDA trigger headroom writes (cpu Utilization only).
func (w *Writer) KEDA(path string) (*Writer, error) {
	if w.Format != HPA {
		return nil, &headroom.InputError{File: w.Path, Field: "format", Value: string(w.Format), Expected: "a HorizontalPodAutoscaler"}
	}
	data, err := keda.FromHPA(w.Path, w.Data)
	if err != nil {
		return nil, err
	}
	return NewWriter(path, data, KEDA)
}
