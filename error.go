package headroom

import (
	"errors"
	"fmt"
	"strings"
)

// Error codes. The CLI exits 2 for every one of them (cmd/headroom: CI
// reads only 0 pass, 1 fail, 2 anything else); the admin API answers each
// with its HTTP status (statuspage/admin).
const (
	// EINVALID: the input is wrong; the user can fix it (HTTP 400).
	EINVALID = "invalid"
	// EINTERNAL: a bug or an environment failure. Users see "internal
	// error"; operators see the cause in the log (HTTP 500).
	EINTERNAL = "internal"
	// EUNAVAILABLE: a metrics source or platform did not answer; the
	// controller retries and its guards hold capacity meanwhile (HTTP 503).
	EUNAVAILABLE = "unavailable"
	// ENOTFOUND: the thing named does not exist (HTTP 404).
	ENOTFOUND = "not_found"
	// ECONFLICT: the thing changed since it was read; read again and
	// retry (HTTP 409).
	ECONFLICT = "conflict"
	// EUNAUTHORIZED: no valid credential (HTTP 401); says nothing of what
	// exists.
	EUNAUTHORIZED = "unauthorized"
)

// Error is the application error: a code for programs and a message for
// people. Internal errors show "internal error" to users; operators see the
// wrapped cause in logs.
type Error struct {
	Code    string
	Message string
	Err     error
}

func (e *Error) Error() string {
	if e.Err != nil && e.Message == "" {
		return e.Err.Error()
	}
	if e.Err != nil {
		return e.Message + ": " + e.Err.Error()
	}
	return e.Message
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error with the given code.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the first *Error in err's chain, EINVALID for
// input errors, and EINTERNAL otherwise.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	var in *InputError
	if errors.As(err, &in) {
		return EINVALID
	}
	var list InputErrors
	if errors.As(err, &list) {
		return EINVALID
	}
	return EINTERNAL
}

// InputError is a problem with a user's file: where it is, what was found and
// what was expected. Its text reads "file:line: field: got X, expected Y".
type InputError struct {
	File  string
	Line  int // 1-based; 0 when unknown
	Field string
	Value string
	// Expected says what would have been valid.
	Expected string
	Err      error
}

func (e *InputError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
	}
	if e.Field != "" {
		b.WriteString(": " + e.Field)
	}
	switch {
	case e.Value != "" && e.Expected != "":
		fmt.Fprintf(&b, ": got %q, expected %s", e.Value, e.Expected)
	case e.Expected != "":
		fmt.Fprintf(&b, ": expected %s", e.Expected)
	case e.Value != "":
		fmt.Fprintf(&b, ": bad value %q", e.Value)
	}
	if e.Err != nil {
		fmt.Fprintf(&b, " (%v)", e.Err)
	}
	return b.String()
}

func (e *InputError) Unwrap() error { return e.Err }

// InputErrors collects every problem of one file, so that a user fixes them
// all in one pass instead of one per run.
type InputErrors []*InputError

func (l InputErrors) Error() string {
	msgs := make([]string, len(l))
	for i, e := range l {
		msgs[i] = e.Error()
	}
	return strings.Join(msgs, "\n")
}

// Err returns nil for an empty list, so callers can return list.Err().
func (l InputErrors) Err() error {
	if len(l) == 0 {
		return nil
	}
	return l
}

// AsInputErrors returns the input errors err holds, one or a list, or nil
// when it holds none.
func AsInputErrors(err error) InputErrors {
	var list InputErrors
	if errors.As(err, &list) {
		return list
	}
	var one *InputError
	if errors.As(err, &one) {
		return InputErrors{one}
	}
	return nil
}
