package traffic

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"strconv"
	"time"

	"github.com/headroomhq/headroom"
	"github.com/headroomhq/headroom/internal/inputfile"
)

// Format names a traffic file format.
type Format string

// Formats ReadFile and Read understand.
const (
	// FormatAuto detects the format from the first bytes (see Detect).
	FormatAuto Format = ""
	// FormatCSV is "timestamp,requests": one row per interval.
	FormatCSV Format = "csv"
	// FormatPrometheus is the JSON body of a Prometheus range query.
	FormatPrometheus Format = "prometheus"
	// FormatAccessLog is a web server access log in Common or Combined Log
	// Format, counted per second.
	FormatAccessLog Format = "accesslog"
)

// GapPolicy says what to do with intervals missing from a CSV file or a
// Prometheus response.
type GapPolicy string

// Gap policies.
const (
	// GapError (the default, also meant by "") refuses a file with gaps.
	GapError GapPolicy = "error"
	// GapZero fills missing intervals with 0 requests.
	GapZero GapPolicy = "zero"
	// GapHold repeats the count of the interval before the gap.
	GapHold GapPolicy = "hold"
)

// DefaultMaxIntervals bounds the length of a series when Options leaves
// MaxIntervals at zero: about 578 days at a one-second step, 400 MB of
// counts. It stops a typo in a timestamp (2091 for 2021) from filling a gap
// until memory runs out.
const DefaultMaxIntervals = 50_000_000

// MaxStep is the longest interval accepted between samples. Traffic counted
// over longer intervals cannot show what an autoscaler reacts to, and rows
// that far apart are more likely a typo in a year.
const MaxStep = 7 * 24 * time.Hour

// maxSpan bounds how long a series lasts, so that Series.End stays within
// what a time.Duration can hold (292 years).
const maxSpan = 100 * 365 * 24 * time.Hour

// MaxGapWarnings is how many filled gaps get a Warning of their own; the
// rest are summed up in one more Warning, so that a sparse file does not
// bury the user under a million lines.
const MaxGapWarnings = 100

// Options control how traffic is read. The zero value detects the format and
// refuses gaps.
type Options struct {
	Format Format
	Gaps   GapPolicy
	// MaxIntervals is the longest series accepted; 0 means
	// DefaultMaxIntervals.
	MaxIntervals int

	ahead *Ahead // the CSV reader hands its counts over as they come
}

// bufferSize is the read buffer: large reads keep the CSV and access-log
// scanners fed, and it bounds the length of one line.
const bufferSize = 1 << 20

// detectSize is how much of the input Detect sees when the format is auto.
const detectSize = 64 << 10

// Warning is something the reader handled explicitly that the user must know
// about: gaps filled, series summed, lines out of order.
type Warning struct {
	File string
	// Line is 1-based; 0 when the warning is about the whole file or the
	// format has no useful line numbers (Prometheus JSON).
	Line    int
	Message string
}

// String returns "file:line: message", or "file: message" without a line.
func (w Warning) String() string {
	if w.Line > 0 {
		return w.File + ":" + strconv.Itoa(w.Line) + ": " + w.Message
	}
	return w.File + ": " + w.Message
}

// ReadFile reads the traffic file at path, which must be a regular file;
// see Read.
func ReadFile(path string, opt Options) (*headroom.Series, []Warning, error) {
	// A regular file only: /dev/zero or a FIFO would be read forever.
	f, err := inputfile.Open(path)
	if err != nil {
		return nil, nil, &headroom.InputError{File: path, Expected: "a readable traffic file", Err: err}
	}
	defer f.Close()
	return Read(f, path, opt)
}

// Read reads recorded traffic from r. name is used for Series.Name and in
// errors and warnings, usually the file path.
//
// Problems with the input are returned as a *headroom.InputError naming the
// file, line (0 when unknown), field, value found and what was expected;
// failures to read r are returned wrapped as they are.
func Read(r io.Reader, name string, opt Options) (*headroom.Series, []Warning, error) {
	if err := opt.check(name); err != nil {
		return nil, nil, err
	}
	size := sizeOf(r)
	br := bufio.NewReaderSize(r, bufferSize)
	format := opt.Format
	if format == FormatAuto {
		head, err := br.Peek(detectSize)
		if err != nil && err != io.EOF && err != bufio.ErrBufferFull {
			return nil, nil, readError(name, err)
		}
		format = Detect(head)
	}
	switch format {
	case FormatCSV:
		return readCSV(br, name, opt, size)
	case FormatPrometheus:
		return readPrometheus(br, name, opt)
	default:
		return readAccessLog(br, name, opt)
	}
}

func (opt Options) check(name string) error {
	switch opt.Format {
	case FormatAuto, FormatCSV, FormatPrometheus, FormatAccessLog:
	default:
		return &headroom.InputError{File: name, Field: "format", Value: string(opt.Format),
			Expected: `"csv", "prometheus" or "accesslog" (or nothing to detect it)`}
	}
	switch opt.Gaps {
	case "", GapError, GapZero, GapHold:
	default:
		return &headroom.InputError{File: name, Field: "gaps", Value: string(opt.Gaps),
			Expected: `"error", "zero" or "hold"`}
	}
	if opt.MaxIntervals < 0 {
		return &headroom.InputError{File: name, Field: "max intervals", Value: strconv.Itoa(opt.MaxIntervals),
			Expected: "a positive number, or 0 for the default"}
	}
	return nil
}

func (opt Options) maxIntervals() int {
	if opt.MaxIntervals > 0 {
		return opt.MaxIntervals
	}
	return DefaultMaxIntervals
}

// sizeOf returns the number of bytes r will yield, or -1 when it cannot
// tell; the CSV reader sizes its counts from it.
func sizeOf(r io.Reader) int64 {
	switch v := r.(type) {
	case interface{ Stat() (fs.FileInfo, error) }:
		if fi, err := v.Stat(); err == nil && fi.Mode().IsRegular() {
			return fi.Size()
		}
	case interface{ Len() int }:
		return int64(v.Len())
	}
	return -1
}

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// Detect guesses the format of a traffic file from its first bytes: a JSON
// object is a Prometheus response, a first line in Common or Combined Log
// Format is an access log, anything else is CSV (whose reader then says
// what it expected).
func Detect(head []byte) Format {
	head = bytes.TrimPrefix(head, utf8BOM)
	head = bytes.TrimLeft(head, " \t\r\n")
	if len(head) > 0 && head[0] == '{' {
		return FormatPrometheus
	}
	line := head
	if i := bytes.IndexByte(line, '\n'); i >= 0 {
		line = line[:i]
	}
	line = bytes.TrimSuffix(line, []byte{'\r'})
	if _, p := parseAccessLine(line); p == nil {
		return FormatAccessLog
	}
	return FormatCSV
}

// MinUnix and MaxUnix bound the times of a series in Unix seconds, checked
// by CheckRange: 1970-01-01T00:00:00Z up to 2200-01-01T00:00:00Z (its end
// may be that instant). Times outside are a typo (a year, a sign in
// --shift) rather than a recording; refusing them keeps every window
// computation far from an overflow.
const (
	MinUnix = 0
	MaxUnix = 7258118400
)

// MaxRate is the highest request rate a series may hold, in requests per
// second (a trillion): enough for any service, and far from where the
// model's sums would lose every digit.
const MaxRate = 1e12

// MaxScale is the largest factor Scale is given by the CLI: a thousandfold
// growth is already beyond any capacity plan.
const MaxScale = 1000

// CheckRange returns a *headroom.InputError when s starts before 1970, ends
// after 2200 (see MinUnix, MaxUnix), or holds a count that is not finite,
// is negative, or is above MaxRate requests per second. what says how the
// series got there, for the message ("" for as read, "after --shift -24h").
func CheckRange(s *headroom.Series, what string) error {
	if err := checkTimes(s, what); err != nil {
		return err
	}
	return checkCounts(s, what, 0, len(s.Counts))
}

// checkTimes is CheckRange's test of the span.
func checkTimes(s *headroom.Series, what string) error {
	if s.Start.Unix() < MinUnix || s.End().Unix() > MaxUnix || s.End().Before(s.Start) {
		return &headroom.InputError{File: s.Name, Field: "timestamp",
			Value:    s.Start.UTC().Format(time.RFC3339) + " to " + s.End().UTC().Format(time.RFC3339) + suffix(what),
			Expected: "times from 1970-01-01T00:00:00Z up to 2200-01-01T00:00:00Z (a recording, not a typo in a year or a shift)"}
	}
	return nil
}

// checkCounts is CheckRange's test of the counts from to to, in order.
func checkCounts(s *headroom.Series, what string, from, to int) error {
	step := s.Step.Seconds()
	for i, c := range s.Counts[from:to] {
		if !(c >= 0) || c/step > MaxRate || math.IsInf(c, 0) {
			return &headroom.InputError{File: s.Name, Field: "requests",
				Value:    strconv.FormatFloat(c, 'g', -1, 64) + " at " + s.Start.Add(time.Duration(from+i)*s.Step).UTC().Format(time.RFC3339) + suffix(what),
				Expected: fmt.Sprintf("a finite count of requests, at most %g per second", float64(MaxRate))}
		}
	}
	return nil
}

// suffix is what, after a space, or "".
func suffix(what string) string {
	if what == "" {
		return ""
	}
	return " " + what
}

// Scale multiplies every count by factor, to model growth (1.3 is 30% more
// traffic). factor must be finite and non-negative: callers validate user
// input first, and Scale panics otherwise, as that is a programming error.
func Scale(s *headroom.Series, factor float64) {
	if math.IsNaN(factor) || math.IsInf(factor, 0) || factor < 0 {
		panic(fmt.Sprintf("traffic.Scale: factor %v is not finite and non-negative", factor))
	}
	for i := range s.Counts {
		s.Counts[i] *= factor
	}
}

// Shift moves the series in time by d, which must be a whole number of
// seconds (the simulator works in seconds): Shift panics otherwise, as that
// is a programming error.
func Shift(s *headroom.Series, d time.Duration) {
	if d%time.Second != 0 {
		panic(fmt.Sprintf("traffic.Shift: %v is not a whole number of seconds", d))
	}
	s.Start = s.Start.Add(d)
}

// readError wraps a failure to read the input, naming it unless the error
// already does.
func readError(name string, err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return err
	}
	return fmt.Errorf("read %s: %w", name, err)
}
