package rows

import (
	"fmt"
	"math"
	"time"
)

// Scanner is one row of a result: *sql.Rows, *sql.Row, pgx.Rows, pgx.Row.
type Scanner interface {
	Scan(dest ...any) error
}

// Rows is a result: *sql.Rows or pgx.Rows.
type Rows interface {
	Scanner
	Next() bool
	Err() error
}

// All scans every row of rs with scan, in order. The caller closes rs.
func All[T any](rs Rows, scan func(Scanner) (T, error)) ([]T, error) {
	var out []T
	for rs.Next() {
		v, err := scan(rs)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rs.Err()
}

// The range of times a column holds: what UnixNano represents.
var (
	minTime = time.Unix(0, math.MinInt64)
	maxTime = time.Unix(0, math.MaxInt64)
)

// Nanos encodes t as UTC Unix nanoseconds; nil (NULL) is the zero time.
// It fails for times UnixNano cannot represent (before 1678 or after
// 2262).
func Nanos(t time.Time) (*int64, error) {
	if t.IsZero() {
		return nil, nil
	}
	if t.Before(minTime) || t.After(maxTime) {
		return nil, fmt.Errorf("time %s out of range", t.Format(time.RFC3339Nano))
	}
	n := t.UnixNano()
	return &n, nil
}

// Time decodes what Nanos encoded, in UTC.
func Time(n *int64) time.Time {
	if n == nil {
		return time.Time{}
	}
	return time.Unix(0, *n).UTC()
}

// Times encodes the times of one row, keeping the first error.
type Times struct {
	// Err is the first time out of range, naming its field.
	Err error
}

// At returns Nanos(t); when t is out of range it records the error,
// naming field.
func (e *Times) At(field string, t time.Time) *int64 {
	n, err := Nanos(t)
	if err != nil && e.Err == nil {
		e.Err = fmt.Errorf("%s: %w", field, err)
	}
	return n
}

// deref returns *p, or the zero value for NULL.
func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

// ptr returns a pointer to v.
func ptr[T any](v T) *T { return &v }
