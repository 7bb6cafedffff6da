package traffic

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"strconv"

	"github.com/headroomhq/headroom"
)

// csvHeader is the only header line the CSV reader accepts.
const csvHeader = "timestamp,requests"

// inferRows is how many data rows the CSV step is inferred from. They are
// held until the step is known, then the rest of the file streams.
const inferRows = 1000

// csvRow is a data row held while the step is inferred.
type csvRow struct {
	ts    int64 // milliseconds
	count float64
	line  int
	// text is the timestamp as written: csvRows.text[from:to].
	from, to int
}

// csvRows are the rows held while the step is inferred, with their
// timestamps' text in one buffer rather than a string each.
type csvRows struct {
	rows []csvRow
	text []byte
}

// readCSV reads "timestamp,requests" rows. It is a hand-written scanner, not
// encoding/csv: a two-column numeric format needs no quoting, and the
// scanner reads a month of per-second rows in a fraction of a second with a
// handful of allocations (see BenchmarkReadCSV30Days). size is the input
// length when known, -1 otherwise; it sizes the counts up front.
func readCSV(br *bufio.Reader, name string, opt Options, size int64) (*headroom.Series, []Warning, error) {
	var (
		lineNo   int
		consumed int64 // bytes read, for the capacity estimate
		started  bool  // a header or a data row has been seen
		pending  = csvRows{rows: make([]csvRow, 0, 64)}
		b        *builder
		curTS    []byte // the timestamp text of the row being added, for errors
	)
	where := func(ref int) row {
		return row{line: ref, field: "timestamp", value: string(curTS), loc: "line " + strconv.Itoa(ref)}
	}
	// fail reports err, unless a row held for the step inference has an
	// earlier problem: errors come in file order.
	fail := func(err *headroom.InputError) (*headroom.Series, []Warning, error) {
		if b == nil && len(pending.rows) >= 2 {
			if _, earlier := startCSV(name, opt, pending, where, &curTS, 0); earlier != nil {
				return nil, nil, earlier
			}
		}
		return nil, nil, err
	}
	for {
		line, rerr := br.ReadSlice('\n')
		if rerr == bufio.ErrBufferFull {
			return fail(&headroom.InputError{File: name, Line: lineNo + 1,
				Expected: fmt.Sprintf("a line shorter than %d bytes", bufferSize)})
		}
		if rerr != nil && rerr != io.EOF {
			return nil, nil, readError(name, rerr)
		}
		if len(line) == 0 && rerr == io.EOF {
			break
		}
		lineNo++
		consumed += int64(len(line))
		line = trimEOL(line)
		if lineNo == 1 {
			line = bytes.TrimPrefix(line, utf8BOM)
		}
		if len(line) > 0 && (line[0] == ' ' || line[0] == '\t') {
			line = bytes.TrimSpace(line)
		}
		if len(line) == 0 || line[0] == '#' {
			if rerr == io.EOF {
				break
			}
			continue
		}
		if !started {
			started = true
			if string(trimSpace(line)) == csvHeader {
				continue
			}
			if isLetter(line[0]) {
				return nil, nil, &headroom.InputError{File: name, Line: lineNo, Field: "header", Value: clip(line),
					Expected: "the header " + csvHeader + ", or no header (data rows only)"}
			}
		}
		sec, count, tsText, perr := parseCSVRow(name, lineNo, line)
		if perr != nil {
			return fail(perr)
		}
		if b != nil {
			curTS = tsText
			if err := b.add(sec*1000, count, lineNo); err != nil {
				return nil, nil, err
			}
			if opt.ahead != nil && len(b.counts) >= opt.ahead.next {
				opt.ahead.hand(b.counts)
			}
		} else {
			from := len(pending.text)
			pending.text = append(pending.text, tsText...)
			pending.rows = append(pending.rows, csvRow{ts: sec * 1000, count: count, line: lineNo, from: from, to: len(pending.text)})
			if n := len(pending.rows); n >= 2 && pending.rows[n-1].ts <= pending.rows[n-2].ts {
				// Out of order or duplicate: the replay reports it now, in
				// file order, rather than after the rows that follow.
				if _, err := startCSV(name, opt, pending, where, &curTS, 0); err != nil {
					return nil, nil, err
				}
			}
			if len(pending.rows) == inferRows {
				var err error
				if b, err = startCSV(name, opt, pending, where, &curTS, estimateRows(size, consumed, inferRows)); err != nil {
					return nil, nil, err
				}
				if opt.ahead != nil {
					opt.ahead.begin(b, name)
				}
			}
		}
		if rerr == io.EOF {
			break
		}
	}
	if b == nil {
		var err error
		if b, err = startCSV(name, opt, pending, where, &curTS, len(pending.rows)); err != nil {
			return nil, nil, err
		}
	}
	s, w := b.series(name)
	return s, w, nil
}

// parseCSVRow parses a data row: the timestamp in Unix seconds, the count,
// and the timestamp as written.
func parseCSVRow(name string, lineNo int, line []byte) (int64, float64, []byte, *headroom.InputError) {
	comma := bytes.IndexByte(line, ',')
	if comma < 0 {
		return 0, 0, nil, &headroom.InputError{File: name, Line: lineNo, Field: "requests", Value: clip(line),
			Expected: "two columns, " + csvHeader}
	}
	tsText, countText := trimSpace(line[:comma]), trimSpace(line[comma+1:])
	if bytes.IndexByte(countText, ',') >= 0 {
		return 0, 0, nil, &headroom.InputError{File: name, Line: lineNo, Field: "requests", Value: clip(countText),
			Expected: "a number of requests and no third column"}
	}
	sec, problem := parseTime(tsText)
	if problem != "" {
		return 0, 0, nil, &headroom.InputError{File: name, Line: lineNo, Field: "timestamp", Value: clip(tsText), Expected: problem}
	}
	count, problem := parseCount(countText)
	if problem != "" {
		return 0, 0, nil, &headroom.InputError{File: name, Line: lineNo, Field: "requests", Value: clip(countText), Expected: problem}
	}
	return sec, count, tsText, nil
}

// startCSV infers the step from the first rows and replays them into a
// builder. The step is the smallest positive difference between
// consecutive timestamps: a gap among the first rows then shows as a gap
// rather than as a larger step. Rows out of order are not judged here; the
// builder reports them in file order.
func startCSV(name string, opt Options, pending csvRows, where func(int) row, curTS *[]byte, capacity int) (*builder, error) {
	rows := pending.rows
	switch len(rows) {
	case 0:
		return nil, &headroom.InputError{File: name,
			Expected: "at least 2 data rows (" + csvHeader + ") to infer the interval between them, found none"}
	case 1:
		return nil, &headroom.InputError{File: name, Line: rows[0].line,
			Expected: "at least 2 data rows to infer the interval between them, found 1"}
	}
	// Any positive step will do when no difference is positive: the
	// builder then stops at the first row with a duplicate or earlier time.
	step, from, at := int64(1000), "", 0
	for i := 1; i < len(rows); i++ {
		if d := rows[i].ts - rows[i-1].ts; d > 0 && (from == "" || d < step) {
			step, from, at = d, fmt.Sprintf("lines %d and %d", rows[i-1].line, rows[i].line), i
		}
	}
	if problem := checkStep(step); problem != "" {
		r := rows[at]
		return nil, &headroom.InputError{File: name, Line: r.line, Field: "timestamp",
			Value: string(pending.text[r.from:r.to]), Expected: problem}
	}
	b := &builder{
		file:     name,
		gaps:     opt.Gaps,
		step:     step,
		max:      opt.maxIntervals(),
		stepFrom: from,
		where:    where,
		counts:   make([]float64, 0, min(max(capacity, len(rows)), opt.maxIntervals())),
	}
	for _, r := range rows {
		*curTS = pending.text[r.from:r.to]
		if err := b.add(r.ts, r.count, r.line); err != nil {
			return nil, err
		}
	}
	return b, nil
}

// estimateRows guesses how many rows a file of size bytes holds from the
// first rows, with a margin so that the counts need not grow (and briefly
// exist twice) near the end.
func estimateRows(size, consumed int64, rows int) int {
	if size <= 0 || consumed <= 0 {
		return rows
	}
	est := float64(size) / float64(consumed) * float64(rows) * 1.1
	if est > float64(DefaultMaxIntervals) {
		return DefaultMaxIntervals
	}
	return int(est) + 16
}

func trimEOL(line []byte) []byte {
	if n := len(line); n > 0 && line[n-1] == '\n' {
		line = line[:n-1]
	}
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	return line
}

// trimSpace trims spaces and tabs, cheaply when there are none.
func trimSpace(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t') {
		b = b[1:]
	}
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t') {
		b = b[:len(b)-1]
	}
	return b
}

func isLetter(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }

// clip returns b as a string for an error message, shortened if long.
func clip(b []byte) string {
	const n = 80
	if len(b) > n {
		return string(b[:n]) + "..."
	}
	return string(b)
}
