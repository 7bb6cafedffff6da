// Package numfmt formats the counts people read in headroom's reports and
// verdicts, so that a count reads the same in a reason sentence and in the
// table beside it.
package numfmt

import (
	"math"
	"strconv"
	"strings"
)

// Group inserts thousands separators into an integer string: "-1234" is
// "-1,234".
func Group(s string) string {
	sign := ""
	if strings.HasPrefix(s, "-") {
		sign, s = "-", s[1:]
	}
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return sign + b.String()
}

// Count rounds n to a whole count and groups it: 729309.4 is "729,309".
func Count(n float64) string {
	if math.IsNaN(n) || math.IsInf(n, 0) {
		return strconv.FormatFloat(n, 'g', -1, 64)
	}
	return Group(strconv.FormatFloat(math.Round(n), 'f', 0, 64))
}
