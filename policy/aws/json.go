package aws

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/headroomhq/headroom"
	"github.com/headroomhq/headroom/internal/suggest"
)

// kind is the JSON type of a value.
type kind int

const (
	kindNull kind = iota
	kindBool
	kindNumber
	kindString
	kindArray
	kindObject
)

func (k kind) String() string {
	return [...]string{"null", "a boolean", "a number", "a string", "a list", "an object"}[k]
}

// value is one JSON value of a file with the byte offset it starts at, so
// that every problem can name its line. encoding/json's own Unmarshal
// reports the offset of type errors only, and matches keys without regard
// to case, which would let a misspelt "mincapacity" through.
type value struct {
	kind kind
	// off and end are the byte offsets of the value's first byte and of
	// the byte after its last: the writer splices new values in there.
	off, end int64
	str      string
	num      json.Number
	b        bool
	// keys are an object's keys in file order, and fields their values.
	keys   []string
	fields map[string]*value
	elems  []*value
	// misspelt records the known keys that a key of this object was
	// reported as a misspelling of, so that they are not reported missing
	// too.
	misspelt map[string]bool
}

// maxDepth bounds nesting: the CLI's output is a handful of levels deep,
// and a deeper file is not one of its outputs.
const maxDepth = 64

// file is one input file: its name for errors and the offsets of its lines.
type file struct {
	name  string
	data  []byte
	lines []int64 // byte offset of the start of each line
}

func newFile(name string, data []byte) *file {
	f := &file{name: name, data: data, lines: []int64{0}}
	for i, c := range data {
		if c == '\n' {
			f.lines = append(f.lines, int64(i+1))
		}
	}
	return f
}

// line returns the 1-based line of byte offset off.
func (f *file) line(off int64) int {
	return sort.Search(len(f.lines), func(i int) bool { return f.lines[i] > off })
}

// errorAt returns an input error for the value v at path.
func (f *file) errorAt(v *value, path, got, expected string) *headroom.InputError {
	e := &headroom.InputError{File: f.name, Line: 1, Field: path, Value: got, Expected: expected}
	if v != nil {
		e.Line = f.line(v.off)
	}
	return e
}

// decodeText turns what a shell redirect wrote into UTF-8: PowerShell's
// `aws ... > out.json` writes UTF-16 with a byte order mark, and some
// editors add a UTF-8 one. Line breaks are kept, so lines still match what
// an editor shows.
func decodeText(data []byte) []byte {
	switch {
	case bytes.HasPrefix(data, []byte{0xEF, 0xBB, 0xBF}):
		return data[3:]
	case bytes.HasPrefix(data, []byte{0xFF, 0xFE}), bytes.HasPrefix(data, []byte{0xFE, 0xFF}):
		big := data[0] == 0xFE
		data = data[2:]
		units := make([]uint16, len(data)/2)
		for i := range units {
			if big {
				units[i] = uint16(data[2*i])<<8 | uint16(data[2*i+1])
			} else {
				units[i] = uint16(data[2*i+1])<<8 | uint16(data[2*i])
			}
		}
		var b bytes.Buffer
		for _, r := range utf16.Decode(units) {
			b.WriteRune(r)
		}
		return b.Bytes()
	}
	return data
}

// parseJSON reads every top-level value of f (the CLI prints one object;
// `cat a.json b.json` makes a stream of them, which is read as if merged).
func parseJSON(f *file) ([]*value, error) {
	dec := json.NewDecoder(bytes.NewReader(f.data))
	dec.UseNumber()
	p := &jsonParser{f: f, dec: dec}
	var docs []*value
	for {
		start := p.next(dec.InputOffset())
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			if len(docs) == 0 {
				return nil, &headroom.InputError{File: f.name, Line: 1,
					Expected: "the JSON output of an AWS CLI describe command (this file is empty)"}
			}
			return docs, nil
		}
		if err != nil {
			return nil, p.syntaxError(err, start)
		}
		v, err := p.value(tok, start, 1, "")
		if err != nil {
			return nil, err
		}
		docs = append(docs, v)
	}
}

type jsonParser struct {
	f   *file
	dec *json.Decoder
}

// next returns the offset of the first byte of the next token at or after
// off, past white space and the separators json.Decoder hands out silently.
func (p *jsonParser) next(off int64) int64 {
	for off < int64(len(p.f.data)) {
		switch p.f.data[off] {
		case ' ', '\t', '\r', '\n', ',', ':':
			off++
		default:
			return off
		}
	}
	return off
}

func (p *jsonParser) syntaxError(err error, at int64) error {
	var syn *json.SyntaxError
	if errors.As(err, &syn) {
		at = syn.Offset
		if at > 0 {
			// The offset is just past the byte that broke the syntax.
			at--
		}
	} else if errors.Is(err, io.ErrUnexpectedEOF) {
		at = int64(len(p.f.data))
		err = errors.New("unexpected end of file: a bracket or quote is not closed")
	}
	return &headroom.InputError{File: p.f.name, Line: p.f.line(at),
		Expected: "valid JSON, as the AWS CLI prints it", Err: err}
}

func (p *jsonParser) value(tok json.Token, start int64, depth int, path string) (*value, error) {
	if depth > maxDepth {
		return nil, &headroom.InputError{File: p.f.name, Line: p.f.line(start),
			Expected: fmt.Sprintf("JSON nested at most %d levels deep, as the AWS CLI prints it", maxDepth)}
	}
	v := &value{off: start}
	switch t := tok.(type) {
	case nil:
		v.kind = kindNull
	case bool:
		v.kind, v.b = kindBool, t
	case json.Number:
		v.kind, v.num = kindNumber, t
	case string:
		v.kind, v.str = kindString, t
	case json.Delim:
		if t == '[' {
			v.kind = kindArray
			for p.dec.More() {
				at := p.next(p.dec.InputOffset())
				tok, err := p.dec.Token()
				if err != nil {
					return nil, p.syntaxError(err, at)
				}
				e, err := p.value(tok, at, depth+1, index(path, len(v.elems)))
				if err != nil {
					return nil, err
				}
				v.elems = append(v.elems, e)
			}
		} else {
			v.kind = kindObject
			v.fields = map[string]*value{}
			for p.dec.More() {
				keyAt := p.next(p.dec.InputOffset())
				tok, err := p.dec.Token()
				if err != nil {
					return nil, p.syntaxError(err, keyAt)
				}
				key, _ := tok.(string)
				at := p.next(p.dec.InputOffset())
				tok, err = p.dec.Token()
				if err != nil {
					return nil, p.syntaxError(err, at)
				}
				e, err := p.value(tok, at, depth+1, join(path, key))
				if err != nil {
					return nil, err
				}
				if _, dup := v.fields[key]; dup {
					// encoding/json would keep the last silently; the AWS
					// CLI never prints a key twice, so one of them is an
					// edit that would be lost.
					return nil, &headroom.InputError{File: p.f.name, Line: p.f.line(keyAt), Field: join(path, key), Value: key,
						Expected: "each key once per object (this one is set twice)"}
				}
				v.keys = append(v.keys, key)
				v.fields[key] = e
			}
		}
		end := p.next(p.dec.InputOffset())
		if _, err := p.dec.Token(); err != nil { // the closing bracket
			return nil, p.syntaxError(err, end)
		}
	}
	v.end = p.dec.InputOffset()
	return v, nil
}

// reader decodes the values of one file into Go values, collecting every
// problem with its line and JSON path, and the fields it did not know.
type reader struct {
	f        *file
	errs     headroom.InputErrors
	warnings []warning
	// unknown lists keys that no field is known by, for one warning.
	unknown []string
	// unknownLine is the line of the first of them.
	unknownLine int
}

func (r *reader) fail(v *value, path, got, expected string) {
	r.errs = append(r.errs, r.f.errorAt(v, path, got, expected))
}

func (r *reader) warn(v *value, format string, args ...any) {
	line := 1
	if v != nil {
		line = r.f.line(v.off)
	}
	r.warnings = append(r.warnings, warning{line, fmt.Sprintf(format, args...)})
}

// warning is a note on a line of the file.
type warning struct {
	line int
	msg  string
}

// sortedWarnings returns the warnings in line order, as "file:line: msg".
func (r *reader) sortedWarnings() []string {
	sort.SliceStable(r.warnings, func(i, j int) bool { return r.warnings[i].line < r.warnings[j].line })
	var out []string
	for _, w := range r.warnings {
		out = append(out, fmt.Sprintf("%s:%d: %s", r.f.name, w.line, w.msg))
	}
	return out
}

// absent reports whether key is missing from obj and was not reported as
// misspelt by object.
func absent(obj *value, key string) bool {
	return field(obj, key) == nil && (obj == nil || !obj.misspelt[key])
}

// join appends a key to a JSON path.
func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func index(path string, i int) string { return fmt.Sprintf("%s[%d]", path, i) }

// show renders a value for an error message.
func show(v *value) string {
	switch v.kind {
	case kindNull:
		return "null"
	case kindBool:
		return strconv.FormatBool(v.b)
	case kindNumber:
		return v.num.String()
	case kindString:
		return v.str
	case kindArray:
		return "[...]"
	}
	return "{...}"
}

// object checks that v is an object and that its keys are among known: the
// fields the CLI prints for it, read or not. A key that differs from a
// known one only by case or a typo is an error (the value would be lost);
// any other is left for a warning, since AWS adds fields to its outputs.
func (r *reader) object(v *value, path, what string, known []string) bool {
	if v.kind != kindObject {
		r.fail(v, path, show(v), fmt.Sprintf("%s (an object), found %s", what, v.kind))
		return false
	}
	for _, k := range v.keys {
		if contains(known, k) {
			continue
		}
		if near := closest(k, known); near != "" {
			if v.misspelt == nil {
				v.misspelt = map[string]bool{}
			}
			v.misspelt[near] = true
			r.fail(v.fields[k], join(path, k), k, fmt.Sprintf("%q (field names are case-sensitive; %s has %s)", near, what, strings.Join(known, ", ")))
			continue
		}
		if len(r.unknown) == 0 {
			r.unknownLine = r.f.line(v.fields[k].off)
		}
		r.unknown = append(r.unknown, join(path, k))
	}
	return true
}

// list checks that v is a list.
func (r *reader) list(v *value, path, what string) bool {
	if v.kind != kindArray {
		r.fail(v, path, show(v), fmt.Sprintf("%s (a list), found %s", what, v.kind))
		return false
	}
	return true
}

// field returns the value of key in object v, or nil.
func field(v *value, key string) *value {
	if v == nil || v.kind != kindObject {
		return nil
	}
	f := v.fields[key]
	if f != nil && f.kind == kindNull {
		return nil
	}
	return f
}

func (r *reader) str(obj *value, path, key, expected string, required bool) (string, *value) {
	v := field(obj, key)
	switch {
	case v == nil && required && absent(obj, key):
		r.fail(obj, join(path, key), "", expected+" ("+key+" is missing)")
	case v == nil:
	case v.kind != kindString:
		r.fail(v, join(path, key), show(v), expected+" (a string, found "+v.kind.String()+")")
	case v.str == "" && required:
		r.fail(v, join(path, key), "", expected+" ("+key+" is empty)")
	default:
		return v.str, v
	}
	return "", v
}

// integer reads an optional whole number of at least lo.
func (r *reader) integer(obj *value, path, key, expected string, lo int) (*int, *value) {
	v := field(obj, key)
	if v == nil {
		return nil, nil
	}
	if v.kind != kindNumber {
		r.fail(v, join(path, key), show(v), expected+" (a number, found "+v.kind.String()+")")
		return nil, v
	}
	n, err := strconv.ParseInt(v.num.String(), 10, 32)
	if err != nil {
		f, ferr := v.num.Float64()
		if ferr == nil && f == math.Trunc(f) && math.Abs(f) < 1<<31 {
			n, err = int64(f), nil
		}
	}
	if err != nil || int(n) < lo {
		r.fail(v, join(path, key), v.num.String(), expected)
		return nil, v
	}
	i := int(n)
	return &i, v
}

// number reads an optional finite number.
func (r *reader) number(obj *value, path, key, expected string) (*float64, *value) {
	v := field(obj, key)
	if v == nil {
		return nil, nil
	}
	if v.kind != kindNumber {
		r.fail(v, join(path, key), show(v), expected+" (a number, found "+v.kind.String()+")")
		return nil, v
	}
	f, err := v.num.Float64()
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		r.fail(v, join(path, key), v.num.String(), expected)
		return nil, v
	}
	return &f, v
}

func (r *reader) boolean(obj *value, path, key string) bool {
	v := field(obj, key)
	if v == nil {
		return false
	}
	if v.kind != kindBool {
		r.fail(v, join(path, key), show(v), "true or false")
		return false
	}
	return v.b
}

// timestamp reads a time as the CLI prints it: ISO 8601 (AWS CLI v2, and
// v1 for EC2 Auto Scaling) or seconds since the epoch (AWS CLI v1 for
// Application Auto Scaling, whose API sends numbers).
func (r *reader) timestamp(obj *value, path, key string) (time.Time, bool) {
	v := field(obj, key)
	if v == nil {
		return time.Time{}, false
	}
	const expected = "a time such as 2024-03-10T07:00:00Z (ISO 8601, as the CLI prints it) or seconds since 1970"
	switch v.kind {
	case kindString:
		for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02T15:04:05.999999999Z0700"} {
			if t, err := time.Parse(layout, v.str); err == nil {
				return t.UTC(), true
			}
		}
	case kindNumber:
		if f, err := v.num.Float64(); err == nil && f >= 0 && f < 1e11 {
			sec, frac := math.Modf(f)
			return time.Unix(int64(sec), int64(frac*1e9)).UTC(), true
		}
	}
	r.fail(v, join(path, key), show(v), expected)
	return time.Time{}, false
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// closest returns the known key that k is most likely a misspelling of:
// equal but for case, or within two edits of a key of five letters or
// more; "" when none is.
func closest(k string, known []string) string {
	best, bestDist := "", 3
	for _, c := range known {
		if strings.EqualFold(c, k) {
			return c
		}
		if utf8.RuneCountInString(c) < 5 {
			continue
		}
		if d := suggest.Distance(strings.ToLower(k), strings.ToLower(c)); d < bestDist {
			best, bestDist = c, d
		}
	}
	return best
}
