package traffic

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/headroomhq/headroom"
)

// Expected texts for access-log problems.
const (
	expectLogPrefix = "host, ident and user (- when unknown) before the [timestamp], as in " +
		`127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /a.gif HTTP/1.0" 200 2326`
	expectLogTime    = "a timestamp such as [10/Oct/2000:13:55:36 -0700] after host, ident and user"
	expectLogRequest = `a quoted request such as "GET /a.gif HTTP/1.0" after the [timestamp]`
	expectLogStatus  = "a 3-digit status and a size (bytes or -) after the quoted request, such as 200 2326"
)

// lineProblem is what is wrong with an access-log line.
type lineProblem struct {
	field    string
	value    []byte
	expected string
}

// parseAccessLine parses one line of Common or Combined Log Format
// (https://httpd.apache.org/docs/2.4/logs.html#common):
//
//	host ident authuser [10/Oct/2000:13:55:36 -0700] "request" status bytes ...
//
// and returns its time in Unix seconds. Whatever follows the size (the
// Combined format's referer and user agent) is not looked at. The request
// is quoted but may itself contain quotes, so its end is the first quote
// followed by a status and a size.
func parseAccessLine(line []byte) (int64, *lineProblem) {
	open := bytes.IndexByte(line, '[')
	if open < 0 {
		return 0, &lineProblem{"timestamp", line, expectLogTime}
	}
	if !hasTokens(line[:open], 3) {
		return 0, &lineProblem{"host", line[:open], expectLogPrefix}
	}
	const tsLen = len("10/Oct/2000:13:55:36 -0700")
	if len(line) < open+tsLen+2 || line[open+tsLen+1] != ']' {
		end := bytes.IndexByte(line[open:], ']')
		if end < 0 {
			end = len(line) - open - 1
		}
		return 0, &lineProblem{"timestamp", line[open : open+end+1], expectLogTime}
	}
	sec, ok := parseCLFTime(line[open+1 : open+1+tsLen])
	if !ok {
		return 0, &lineProblem{"timestamp", line[open : open+tsLen+2], expectLogTime}
	}
	rest := line[open+tsLen+2:]
	if len(rest) < 2 || rest[0] != ' ' || rest[1] != '"' {
		return 0, &lineProblem{"request", bytes.TrimPrefix(rest, []byte{' '}), expectLogRequest}
	}
	rest = rest[2:]
	var closed []byte // after the first quote that could end the request
	for {
		q := bytes.IndexByte(rest, '"')
		if q < 0 {
			break
		}
		after := rest[q+1:]
		if statusAndSize(after) {
			return sec, nil
		}
		if closed == nil && (len(after) == 0 || after[0] == ' ') {
			closed = after
		}
		rest = after
	}
	if closed == nil {
		return 0, &lineProblem{"request", line[open+tsLen+3:], expectLogRequest}
	}
	return 0, &lineProblem{"status", bytes.TrimPrefix(closed, []byte{' '}), expectLogStatus}
}

// hasTokens reports whether b is at least n space-separated tokens followed
// by a space.
func hasTokens(b []byte, n int) bool {
	if len(b) == 0 || b[len(b)-1] != ' ' {
		return false
	}
	tokens, in := 0, false
	for _, c := range b {
		if c == ' ' {
			in = false
		} else if !in {
			in = true
			tokens++
		}
	}
	return tokens >= n
}

// statusAndSize reports whether b is " 200 2326" or " 200 -", then the end
// of the line or a space.
func statusAndSize(b []byte) bool {
	if len(b) < 6 || b[0] != ' ' || b[4] != ' ' || !isDigit(b[1]) || !isDigit(b[2]) || !isDigit(b[3]) {
		return false
	}
	b = b[5:]
	if b[0] == '-' {
		return len(b) == 1 || b[1] == ' '
	}
	i := 0
	for i < len(b) && isDigit(b[i]) {
		i++
	}
	return i > 0 && (i == len(b) || b[i] == ' ')
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// parseCLFTime parses "10/Oct/2000:13:55:36 -0700" into Unix seconds.
func parseCLFTime(b []byte) (int64, bool) {
	if b[2] != '/' || b[6] != '/' || b[11] != ':' || b[14] != ':' || b[17] != ':' || b[20] != ' ' ||
		(b[21] != '+' && b[21] != '-') {
		return 0, false
	}
	d, ok1 := digits2(b[0], b[1])
	y1, ok2 := digits2(b[7], b[8])
	y2, ok3 := digits2(b[9], b[10])
	h, ok4 := digits2(b[12], b[13])
	mi, ok5 := digits2(b[15], b[16])
	s, ok6 := digits2(b[18], b[19])
	oh, ok7 := digits2(b[22], b[23])
	om, ok8 := digits2(b[24], b[25])
	mo := month(b[3], b[4], b[5])
	y := y1*100 + y2
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6 && ok7 && ok8) || mo == 0 ||
		d < 1 || d > daysIn(mo, y) || h > 23 || mi > 59 || s > 60 || oh > 23 || om > 59 {
		return 0, false
	}
	// Some servers log a leap second as :60; it belongs to the next second.
	sec := daysFromCivil(int64(y), int64(mo), int64(d))*86400 + int64(h*3600+mi*60+s)
	off := int64(oh*3600 + om*60)
	if b[21] == '+' {
		off = -off
	}
	return sec + off, true
}

// month returns 1-12 for "Jan".."Dec", 0 otherwise.
func month(a, b, c byte) int {
	switch string([]byte{a, b, c}) {
	case "Jan":
		return 1
	case "Feb":
		return 2
	case "Mar":
		return 3
	case "Apr":
		return 4
	case "May":
		return 5
	case "Jun":
		return 6
	case "Jul":
		return 7
	case "Aug":
		return 8
	case "Sep":
		return 9
	case "Oct":
		return 10
	case "Nov":
		return 11
	case "Dec":
		return 12
	}
	return 0
}

// perSecond counts requests per second in any order. counts[i] is the
// number of requests in second base+i; lo and hi are the first and last
// seconds seen. Room is kept on both sides so that lines out of order
// (before the first line) or far ahead do not copy the counts each time.
type perSecond struct {
	counts []float64
	base   int64
	lo, hi int64
	n      int // lines counted
}

// add counts a request at sec. It reports false, counting nothing, when
// the series would become longer than limit seconds.
func (p *perSecond) add(sec int64, limit int) bool {
	if p.n == 0 {
		p.counts = make([]float64, 1, 4096)
		p.base, p.lo, p.hi = sec, sec, sec
	}
	if sec < p.lo || sec > p.hi {
		if max(p.hi, sec)-min(p.lo, sec)+1 > int64(limit) {
			return false
		}
	}
	if sec < p.base {
		// Leave room before: as much again as there is, at least an hour.
		room := max(p.base-sec, int64(len(p.counts)/2), 3600)
		grown := make([]float64, int64(len(p.counts))+room, int64(cap(p.counts))+room)
		copy(grown[room:], p.counts)
		p.counts = grown
		p.base -= room
	}
	i := sec - p.base
	if i >= int64(len(p.counts)) {
		old := len(p.counts)
		p.counts = slices.Grow(p.counts, int(i+1)-old)[:i+1]
		clear(p.counts[old:])
	}
	p.counts[i]++
	p.lo, p.hi = min(p.lo, sec), max(p.hi, sec)
	p.n++
	return true
}

// readAccessLog counts the requests of an access log per second. Seconds
// without a request are zeros, not gaps: the log is the whole record.
func readAccessLog(br *bufio.Reader, name string, opt Options) (*headroom.Series, []Warning, error) {
	var (
		p          perSecond
		lineNo     int
		late       int // lines earlier than a line before them
		firstLate  int
		maxSeen    int64
		maxSeconds = opt.maxIntervals()
	)
	for {
		line, rerr := br.ReadSlice('\n')
		if rerr == bufio.ErrBufferFull {
			return nil, nil, &headroom.InputError{File: name, Line: lineNo + 1,
				Expected: fmt.Sprintf("a line shorter than %d bytes", bufferSize)}
		}
		if rerr != nil && rerr != io.EOF {
			return nil, nil, readError(name, rerr)
		}
		if len(line) == 0 && rerr == io.EOF {
			break
		}
		lineNo++
		line = trimEOL(line)
		if lineNo == 1 {
			line = bytes.TrimPrefix(line, utf8BOM)
		}
		if len(bytes.TrimSpace(line)) > 0 {
			sec, problem := parseAccessLine(line)
			if problem != nil {
				return nil, nil, &headroom.InputError{File: name, Line: lineNo, Field: problem.field,
					Value: clip(problem.value), Expected: problem.expected}
			}
			if p.n > 0 && sec < maxSeen {
				if late == 0 {
					firstLate = lineNo
				}
				late++
			}
			if !p.add(sec, maxSeconds) {
				return nil, nil, &headroom.InputError{File: name, Line: lineNo, Field: "timestamp",
					Value: formatMillis(sec * 1000), Expected: fmt.Sprintf(
						"a log spanning at most %d seconds (%s); this line is at %s, the log so far spans %s to %s",
						maxSeconds, formatDuration(int64(maxSeconds)*1000), formatMillis(sec*1000),
						formatMillis(p.lo*1000), formatMillis(p.hi*1000))}
			}
			if p.n == 1 || sec > maxSeen {
				maxSeen = sec
			}
		}
		if rerr == io.EOF {
			break
		}
	}
	if p.n == 0 {
		return nil, nil, &headroom.InputError{File: name, Expected: "at least one request line in Common or Combined Log Format"}
	}
	var warnings []Warning
	if late > 0 {
		what := "1 line was out of order (earlier than a line before it)"
		if late > 1 {
			what = fmt.Sprintf("%d lines were out of order (earlier than a line before them), the first here", late)
		}
		warnings = append(warnings, Warning{File: name, Line: firstLate,
			Message: what + "; each was counted in its own second"})
	}
	s := &headroom.Series{
		Name:   name,
		Start:  time.Unix(p.lo, 0).UTC(),
		Step:   time.Second,
		Counts: p.counts[p.lo-p.base : p.hi-p.base+1],
	}
	return s, warnings, nil
}
