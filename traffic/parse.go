package traffic

import (
	"math"
	"strconv"
	"time"
)

// Unix seconds are accepted up to the last second of year 9999, the range of
// RFC3339.
const maxUnixSeconds = 253402300799

// Problems parseTime and parseCount report, as "expected ..." text.
const (
	expectTime        = "an RFC3339 time such as 2021-06-01T00:00:00Z or 2021-06-01T02:00:00+02:00, or Unix seconds such as 1622505600"
	expectWholeSecond = "a whole second (fractions of a second are not supported)"
	expectUnixRange   = "Unix seconds between 0 and 253402300799 (year 9999)"
	expectCount       = "a non-negative number of requests, such as 42 or 12.5"
	expectFiniteCount = "a finite, non-negative number of requests"
)

// parseTime parses a CSV timestamp into Unix seconds. It returns a non-empty
// "expected" text when b is not a valid timestamp.
//
// The layouts real files use, 2006-01-02T15:04:05Z and the same with a
// ±hh:mm offset, are parsed by hand: time.Parse would be a third of the
// CSV reader's time. Anything else, and anything the fast path rejects, goes
// to time.Parse, which has the last word on validity.
func parseTime(b []byte) (int64, string) {
	switch {
	case len(b) == 20 && b[19] == 'Z':
		if s, ok := parseDateTime(b); ok {
			return s, ""
		}
	case len(b) == 25 && (b[19] == '+' || b[19] == '-') && b[22] == ':':
		if s, ok := parseDateTime(b); ok {
			h, ok1 := digits2(b[20], b[21])
			m, ok2 := digits2(b[23], b[24])
			if ok1 && ok2 && h < 24 && m < 60 {
				off := int64(h*3600 + m*60)
				if b[19] == '+' {
					off = -off
				}
				return s + off, ""
			}
		}
	case len(b) > 0 && b[0] >= '0' && b[0] <= '9' && (len(b) < 5 || b[4] != '-'):
		return parseUnix(b)
	}
	t, err := time.Parse(time.RFC3339, string(b))
	if err != nil {
		return 0, expectTime
	}
	if t.Nanosecond() != 0 {
		return 0, expectWholeSecond
	}
	return t.Unix(), ""
}

// parseUnix parses non-negative integer Unix seconds.
func parseUnix(b []byte) (int64, string) {
	if len(b) > 12 {
		for _, c := range b {
			if c < '0' || c > '9' {
				return 0, expectTime
			}
		}
		return 0, expectUnixRange
	}
	var v int64
	for _, c := range b {
		d := c - '0'
		if d > 9 {
			return 0, expectTime
		}
		v = v*10 + int64(d)
	}
	if v > maxUnixSeconds {
		return 0, expectUnixRange
	}
	return v, ""
}

// parseDateTime parses the YYYY-MM-DDTHH:MM:SS prefix of b (at least 19
// bytes) as a UTC time. It reports false for anything unusual, leaving the
// verdict to time.Parse.
func parseDateTime(b []byte) (int64, bool) {
	if b[4] != '-' || b[7] != '-' || b[10] != 'T' || b[13] != ':' || b[16] != ':' {
		return 0, false
	}
	y1, ok1 := digits2(b[0], b[1])
	y2, ok2 := digits2(b[2], b[3])
	mo, ok3 := digits2(b[5], b[6])
	d, ok4 := digits2(b[8], b[9])
	h, ok5 := digits2(b[11], b[12])
	mi, ok6 := digits2(b[14], b[15])
	s, ok7 := digits2(b[17], b[18])
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6 && ok7) {
		return 0, false
	}
	y := y1*100 + y2
	if mo < 1 || mo > 12 || d < 1 || d > daysIn(mo, y) || h > 23 || mi > 59 || s > 59 {
		return 0, false
	}
	days := daysFromCivil(int64(y), int64(mo), int64(d))
	return days*86400 + int64(h*3600+mi*60+s), true
}

func digits2(a, b byte) (int, bool) {
	x, y := a-'0', b-'0'
	return int(x)*10 + int(y), x <= 9 && y <= 9
}

func daysIn(month, year int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// daysFromCivil returns the number of days from 1970-01-01 to the given date
// of the proleptic Gregorian calendar (Howard Hinnant's days_from_civil,
// http://howardhinnant.github.io/date_algorithms.html#days_from_civil).
func daysFromCivil(y, m, d int64) int64 {
	if m <= 2 {
		y--
	}
	era := y
	if era < 0 {
		era -= 399
	}
	era /= 400
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}

// pow10 holds the powers of ten that are exact in a float64.
var pow10 = [...]float64{1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15}

// parseCount parses a request count: a non-negative finite decimal number.
// It returns a non-empty "expected" text when b is not one.
//
// Integers and short decimals are converted by hand. With at most 15
// digits the mantissa and the power of ten are exact in a float64, so one
// division is correctly rounded: the same result as strconv.ParseFloat (it
// uses the same fast path), without converting b to a string.
func parseCount(b []byte) (float64, string) {
	if n := len(b); n > 0 && n <= 15 {
		var m uint64
		i := 0
		for ; i < n; i++ {
			d := b[i] - '0'
			if d > 9 {
				break
			}
			m = m*10 + uint64(d)
		}
		if i == n {
			return float64(m), ""
		}
		if b[i] == '.' && i > 0 && i < n-1 {
			frac := n - i - 1
			j := i + 1
			for ; j < n; j++ {
				d := b[j] - '0'
				if d > 9 {
					break
				}
				m = m*10 + uint64(d)
			}
			if j == n {
				return float64(m) / pow10[frac], ""
			}
		}
	}
	return parseCountSlow(b)
}

// parseCountSlow handles what parseCount's fast path does not: long
// numbers, exponents, a leading '+'. Only decimal syntax is allowed:
// strconv.ParseFloat would also take "Inf", "NaN", hexadecimal and
// underscores, which are not counts.
func parseCountSlow(b []byte) (float64, string) {
	if len(b) == 0 {
		return 0, expectCount
	}
	for _, c := range b {
		if !(c >= '0' && c <= '9' || c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-') {
			return 0, expectCount
		}
	}
	v, err := strconv.ParseFloat(string(b), 64)
	switch {
	case err != nil && math.IsInf(v, 0):
		return 0, expectFiniteCount
	case err != nil || v < 0:
		return 0, expectCount
	case v == 0:
		return 0, "" // not -0
	}
	return v, ""
}
