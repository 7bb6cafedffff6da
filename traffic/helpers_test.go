package traffic_test

import (
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/headroomhq/headroom"
	"github.com/headroomhq/headroom/traffic"
)

// wantError describes an expected *headroom.InputError. Expected holds
// phrases that must all appear in the error's Expected text.
type wantError struct {
	line     int
	field    string
	value    string
	expected []string
}

// checkInputError fails the test unless err is an InputError like want,
// for file name.
func checkInputError(t *testing.T, err error, name string, want wantError) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want %+v", want)
	}
	var in *headroom.InputError
	if !errors.As(err, &in) {
		t.Fatalf("got %T %v, want a *headroom.InputError", err, err)
	}
	if got := headroom.ErrorCode(err); got != headroom.EINVALID {
		t.Errorf("error code: got %q, want %q", got, headroom.EINVALID)
	}
	if in.File != name {
		t.Errorf("file: got %q, want %q", in.File, name)
	}
	if in.Line != want.line {
		t.Errorf("line: got %d, want %d (error: %v)", in.Line, want.line, err)
	}
	if in.Field != want.field {
		t.Errorf("field: got %q, want %q (error: %v)", in.Field, want.field, err)
	}
	if in.Value != want.value {
		t.Errorf("value: got %q, want %q (error: %v)", in.Value, want.value, err)
	}
	for _, phrase := range want.expected {
		if !strings.Contains(in.Expected, phrase) {
			t.Errorf("expected text %q does not contain %q", in.Expected, phrase)
		}
	}
}

// checkWarnings compares warnings with want, given as "line: phrase"
// pairs: each warning must have that line and contain that phrase.
func checkWarnings(t *testing.T, got []traffic.Warning, name string, want []wantWarning) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d warnings %v, want %d", len(got), got, len(want))
	}
	for i, w := range want {
		if got[i].File != name || got[i].Line != w.line || !strings.Contains(got[i].Message, w.phrase) {
			t.Errorf("warning %d: got %q, want line %d containing %q", i, got[i].String(), w.line, w.phrase)
		}
	}
}

type wantWarning struct {
	line   int
	phrase string
}

// lines joins lines with newlines, ending with one.
func lines(l ...string) string { return strings.Join(l, "\n") + "\n" }

// checkSeriesValid fails when s breaks the invariants of a Series.
func checkSeriesValid(t *testing.T, s *headroom.Series) {
	t.Helper()
	if s.Step < time.Second || s.Step%time.Second != 0 {
		t.Fatalf("step %v is not a whole number of seconds, at least 1s", s.Step)
	}
	if len(s.Counts) == 0 {
		t.Fatal("no counts")
	}
	for i, c := range s.Counts {
		if math.IsNaN(c) || math.IsInf(c, 0) || c < 0 {
			t.Fatalf("count %d is %v, want finite and >= 0", i, c)
		}
	}
	if s.Start.Location().String() != "UTC" {
		t.Fatalf("start %v is not in UTC", s.Start)
	}
}
