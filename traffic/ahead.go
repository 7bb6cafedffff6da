package traffic

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/headroomhq/headroom"
	"github.com/headroomhq/headroom/internal/inputfile"
)

// Transform is what the CLI does to a series once read: Scale (1 or 0
// leaves the counts), Shift, then CheckRange, whose errors say What.
type Transform struct {
	Scale float64
	Shift time.Duration
	What  string
}

// apply transforms s whole, as the CLI did before ReadAhead.
func (t Transform) apply(s *headroom.Series) error {
	if t.Scale != 0 && t.Scale != 1 {
		Scale(s, t.Scale)
	}
	if t.Shift != 0 {
		Shift(s, t.Shift)
	}
	return CheckRange(s, t.What)
}

// scaleCounts is Scale on the counts from to to.
func (t Transform) scaleCounts(s *headroom.Series, from, to int) {
	if t.Scale == 0 || t.Scale == 1 {
		return
	}
	for i := from; i < to; i++ {
		s.Counts[i] *= t.Scale
	}
}

// aheadEvery is how many counts the reader parses between two hand-overs:
// under a millisecond of parsing.
const aheadEvery = 1 << 14

// errDiverged is what Wait says when the read ended otherwise than its
// first rows and its last promised: Result holds the series as read.
var errDiverged = errors.New("traffic: the file's rows did not end where its last line said; replay the series Result returns")

// Ahead is a CSV traffic file being read in the background, handed out
// before the read ends: its last line says how long the series is, so a
// replay can follow the reader count by count instead of waiting for the
// whole file (`headroom check` simulates while the file is still being
// read). The series and every error are those of ReadFile followed by the
// Transform: a parse error anywhere wins over a range error, as when the
// range is checked after the read.
type Ahead struct {
	// Series has its final Name, Start and Step, and Counts at their final
	// length; the counts become final in order (Wait). Nil when the file
	// could not say its length (not CSV, no readable last row, a last row
	// that is not a whole number of steps on): Result then waits for the
	// read.
	Series *headroom.Series

	tr   Transform
	tail int64 // the last row's time, Unix milliseconds, when ok
	ok   bool

	// The reader's own, untouched by Wait.
	base     []float64 // Series.Counts' array, to tell a reallocation
	next     int       // hand over at this many counts
	prepared int       // counts scaled and checked
	rangeErr error     // the first range error, held until the read ends

	begun  chan struct{} // Series set, or the read ended
	filled atomic.Int64  // counts final and handed over

	mu   sync.Mutex
	cond sync.Cond
	done bool
	// When done:
	final    *headroom.Series
	warnings []Warning
	err      error
	diverged bool
}

// ReadAhead starts reading path as ReadFile would and returns once the
// series can be handed out (Ahead.Series), or the read ended. An error
// opening the file is returned at once, as ReadFile returns it.
func ReadAhead(path string, opt Options, t Transform) (*Ahead, error) {
	f, err := inputfile.Open(path)
	if err != nil {
		return nil, &headroom.InputError{File: path, Expected: "a readable traffic file", Err: err}
	}
	if err := opt.check(path); err != nil {
		f.Close()
		return nil, err
	}
	a := newAhead(t)
	size := sizeOf(f)
	a.tail, a.ok = lastRow(f, size)
	go a.read(f, path, opt, size)
	<-a.begun
	return a, nil
}

func newAhead(t Transform) *Ahead {
	// No hand-over until begin knows the length.
	a := &Ahead{tr: t, begun: make(chan struct{}), next: math.MaxInt}
	a.cond.L = &a.mu
	return a
}

// read reads f to the end, as Read would, and finishes a.
func (a *Ahead) read(f io.ReadCloser, path string, opt Options, size int64) {
	defer f.Close()
	br := bufio.NewReaderSize(f, bufferSize)
	format := opt.Format
	if format == FormatAuto {
		head, err := br.Peek(detectSize)
		if err != nil && err != io.EOF && err != bufio.ErrBufferFull {
			a.finish(nil, nil, readError(path, err))
			return
		}
		format = Detect(head)
	}
	var (
		s   *headroom.Series
		ws  []Warning
		err error
	)
	switch format {
	case FormatCSV:
		o := opt
		o.ahead = a
		s, ws, err = readCSV(br, path, o, size)
	case FormatPrometheus:
		s, ws, err = readPrometheus(br, path, opt)
	default:
		s, ws, err = readAccessLog(br, path, opt)
	}
	a.finish(s, ws, err)
}

// lastRow returns the time of the file's last data row, read from its
// end: the series' length before the read gets there.
func lastRow(f io.ReaderAt, size int64) (int64, bool) {
	const tail = 4 << 10
	if size <= 0 {
		return 0, false
	}
	buf := make([]byte, min(size, tail))
	if _, err := f.ReadAt(buf, size-int64(len(buf))); err != nil && err != io.EOF {
		return 0, false
	}
	lines := bytes.Split(buf, []byte{'\n'})
	for i := len(lines) - 1; i >= 0; i-- {
		if i == 0 && int64(len(buf)) < size {
			// Maybe a line cut by the tail's start: not a row to trust.
			return 0, false
		}
		line := trimSpace(trimEOL(lines[i]))
		if len(line) == 0 || line[0] == '#' {
			continue
		}
		sec, _, _, err := parseCSVRow("", 0, line)
		if err != nil {
			return 0, false
		}
		return sec * 1000, true
	}
	return 0, false
}

// begin is called by the CSV reader once its builder knows the start and
// the step: with the last row's time, the series' length. It hands the
// series out, its counts in an array of that length the builder then
// fills.
func (a *Ahead) begin(b *builder, name string) {
	if a.Series != nil || !a.ok {
		return
	}
	d := a.tail - b.start
	if d < 0 || d%b.step != 0 || d/b.step >= int64(b.max) || d/b.step+1 < int64(len(b.counts)) {
		return
	}
	counts := make([]float64, d/b.step+1)
	copy(counts, b.counts)
	b.counts = counts[:len(b.counts)]
	s := &headroom.Series{Name: name, Start: time.UnixMilli(b.start).UTC(), Step: time.Duration(b.step) * time.Millisecond, Counts: counts}
	if a.tr.Shift != 0 {
		Shift(s, a.tr.Shift)
	}
	a.base, a.next = counts, aheadEvery
	a.rangeErr = checkTimes(s, a.tr.What)
	a.Series = s
	close(a.begun)
}

// hand is called by the CSV reader as its counts grow: every aheadEvery
// of them are scaled, checked and handed over.
func (a *Ahead) hand(counts []float64) {
	n := len(counts)
	a.next = n + aheadEvery
	if a.rangeErr != nil || &counts[:1][0] != &a.base[0] {
		return
	}
	a.tr.scaleCounts(a.Series, a.prepared, n)
	if err := checkCounts(a.Series, a.tr.What, a.prepared, n); err != nil {
		a.rangeErr = err
		return
	}
	a.prepared = n
	a.mu.Lock()
	a.filled.Store(int64(n))
	a.cond.Broadcast()
	a.mu.Unlock()
}

// finish ends the read with what the reader returned.
func (a *Ahead) finish(s *headroom.Series, ws []Warning, err error) {
	same := err == nil && a.Series != nil && len(s.Counts) == len(a.base) && &s.Counts[:1][0] == &a.base[0]
	switch {
	case err != nil:
	case same && a.rangeErr == nil:
		// The read ended as it began: the rest of the counts.
		a.tr.scaleCounts(a.Series, a.prepared, len(a.base))
		err = checkCounts(a.Series, a.tr.What, a.prepared, len(a.base))
		a.prepared = len(a.base)
		s = a.Series
	case same:
		err = a.rangeErr
	default:
		// Never handed out, or the rows went past the last line's time
		// (the counts grew into another array): the series as read,
		// transformed whole.
		err = a.tr.apply(s)
	}
	a.mu.Lock()
	a.done, a.warnings, a.err = true, ws, err
	a.diverged = a.Series != nil && !same && err == nil
	if err == nil {
		a.final = s
		if same {
			a.filled.Store(int64(len(s.Counts)))
		}
	}
	a.cond.Broadcast()
	a.mu.Unlock()
	if a.Series == nil {
		close(a.begun)
	}
}

// Wait blocks until the first n counts of Series are final, and returns
// how many are, or the read's error (an *headroom.InputError as ReadFile
// or CheckRange would return it). It is safe to call from any goroutine.
func (a *Ahead) Wait(n int) (int, error) {
	if f := int(a.filled.Load()); f >= n {
		return f, nil
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	for int(a.filled.Load()) < n && !a.done {
		a.cond.Wait()
	}
	if f := int(a.filled.Load()); f >= n {
		return f, nil
	}
	if a.err != nil {
		return 0, a.err
	}
	return 0, errDiverged
}

// Result waits for the read to end and returns what ReadFile and the
// Transform would have: the series (Series itself when the read ended as
// it began), the warnings and the error. Diverged says whether a replay
// of Series must start again on this one.
func (a *Ahead) Result() (s *headroom.Series, ws []Warning, diverged bool, err error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for !a.done {
		a.cond.Wait()
	}
	return a.final, a.warnings, a.diverged, a.err
}
