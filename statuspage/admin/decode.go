package admin

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/headroomhq/headroom"
)

// DefaultMaxBody is the largest request body the admin API reads: room for
// a body of incident.MaxBodyLength characters of 4 bytes each, with JSON
// escapes (a postmortem is a few pages of Markdown, in any script).
const DefaultMaxBody = 512 << 10

// decode reads r's JSON body into v: application/json only, at most limit
// bytes, one JSON value, no field v does not have, every field named
// exactly (encoding/json would take "Name" or "NAME" for "name") and
// given once (encoding/json would keep the last of two). optional allows
// an empty body (v is left as it is).
//
// Errors: CodeUnsupportedMediaType, CodeTooLarge, EINVALID naming the
// field, the value and what was expected.
func decode(w http.ResponseWriter, r *http.Request, limit int64, v any, optional bool) error {
	if r.ContentLength == 0 && optional {
		return nil
	}
	if ct := r.Header.Get("Content-Type"); !isJSON(ct) {
		return &headroom.Error{Code: CodeUnsupportedMediaType,
			Message: fmt.Sprintf("Content-Type: got %q, expected application/json", ct)}
	}
	// Read whole (within the limit): the body is looked at twice, once to
	// decode it and once to check its field names.
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		return decodeError(err, limit)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		if errors.Is(err, io.EOF) && optional {
			return nil
		}
		return decodeError(err, limit)
	}
	if err := dec.Decode(&struct{}{}); !errors.Is(err, io.EOF) {
		return headroom.Errorf(headroom.EINVALID, "request body: expected one JSON object and nothing after it")
	}
	// The body is one valid JSON value of v's shape: what is left to
	// refuse is what encoding/json forgives.
	return checkFields(data, reflect.TypeOf(v))
}

// checkFields walks data, one valid JSON value to be decoded into a value
// of type t, and refuses an object key given twice and a struct field not
// named exactly as its json tag says.
//
// Errors: EINVALID naming the field.
func checkFields(data []byte, t reflect.Type) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	return walkFields(dec, t, "")
}

// walkFields reads one value from dec; t is the Go type it goes into (nil
// when unknown: only duplicates are looked for then), path its field path
// for messages.
func walkFields(dec *json.Decoder, t reflect.Type, path string) error {
	tok, err := dec.Token()
	if err != nil {
		return headroom.Errorf(headroom.EINVALID, "request body: %s", strings.TrimPrefix(err.Error(), "json: "))
	}
	delim, ok := tok.(json.Delim)
	if !ok {
		return nil // a scalar
	}
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch delim {
	case '[':
		var elem reflect.Type
		if t != nil && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) {
			elem = t.Elem()
		}
		for i := 0; dec.More(); i++ {
			if err := walkFields(dec, elem, joinField(path, strconv.Itoa(i))); err != nil {
				return err
			}
		}
	case '{':
		var fields map[string]reflect.Type
		if t != nil && t.Kind() == reflect.Struct {
			fields = jsonFields(t)
		}
		seen := map[string]bool{}
		for dec.More() {
			tok, err := dec.Token()
			if err != nil {
				return headroom.Errorf(headroom.EINVALID, "request body: %s", strings.TrimPrefix(err.Error(), "json: "))
			}
			key, _ := tok.(string)
			field := joinField(path, key)
			if seen[key] {
				return headroom.Errorf(headroom.EINVALID, "request body: duplicate field %q: expected each field once", field)
			}
			seen[key] = true
			var next reflect.Type
			switch {
			case fields != nil:
				ft, known := fields[key]
				if !known {
					return unknownField(field, key, fields)
				}
				next = ft
			case t != nil && t.Kind() == reflect.Map:
				next = t.Elem()
			}
			if err := walkFields(dec, next, field); err != nil {
				return err
			}
		}
	}
	_, err = dec.Token() // the closing ] or }
	return err
}

// unknownField refuses key, naming the field it differs from in case
// only, if any.
func unknownField(field, key string, fields map[string]reflect.Type) error {
	for name := range fields {
		if strings.EqualFold(name, key) {
			return headroom.Errorf(headroom.EINVALID, "request body: unknown field %q (field names are case-sensitive: %q)", field, name)
		}
	}
	return headroom.Errorf(headroom.EINVALID, "request body: unknown field %q", field)
}

// jsonFields maps the JSON names of struct type t's fields, as
// encoding/json names them, to their types.
func jsonFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for f := range t.Fields() {
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				// The outer struct's own fields win, as in encoding/json.
				for name, typ := range jsonFields(ft) {
					if _, own := out[name]; !own {
						out[name] = typ
					}
				}
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		out[name] = f.Type
	}
	return out
}

// joinField names key within path: components.website.
func joinField(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// isJSON says whether a Content-Type is JSON (application/json, with
// parameters such as charset=utf-8).
func isJSON(ct string) bool {
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil || mt != "application/json" {
		return false
	}
	cs, ok := params["charset"]
	return !ok || strings.EqualFold(cs, "utf-8")
}

// decodeError says what is wrong with a body, where.
func decodeError(err error, limit int64) error {
	var (
		tooLarge *http.MaxBytesError
		syntax   *json.SyntaxError
		typ      *json.UnmarshalTypeError
	)
	switch {
	case errors.As(err, &tooLarge):
		return &headroom.Error{Code: CodeTooLarge, Message: fmt.Sprintf("request body: larger than %d bytes", limit)}
	case errors.Is(err, io.EOF):
		return headroom.Errorf(headroom.EINVALID, "request body: empty, expected a JSON object")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return headroom.Errorf(headroom.EINVALID, "request body: malformed JSON: it ends in the middle of a value")
	case errors.As(err, &syntax):
		return headroom.Errorf(headroom.EINVALID, "request body: malformed JSON at byte %d: %s", syntax.Offset, strings.TrimPrefix(syntax.Error(), "json: "))
	case errors.As(err, &typ):
		if typ.Field == "" {
			return headroom.Errorf(headroom.EINVALID, "request body: got a JSON %s, expected %s", typ.Value, jsonKind(typ.Type.String()))
		}
		return headroom.Errorf(headroom.EINVALID, "%s: got a JSON %s, expected %s", typ.Field, typ.Value, jsonKind(typ.Type.String()))
	}
	// encoding/json has no type for an unknown field, only this text.
	if field, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		return headroom.Errorf(headroom.EINVALID, "request body: unknown field %s", field)
	}
	return headroom.Errorf(headroom.EINVALID, "request body: %s", strings.TrimPrefix(err.Error(), "json: "))
}

// jsonKind names a Go type of the request structs the way a JSON writer
// thinks of it.
func jsonKind(goType string) string {
	switch {
	case strings.HasPrefix(goType, "map["):
		return "an object"
	case strings.HasPrefix(goType, "[]"):
		return "an array"
	case goType == "string" || strings.HasSuffix(goType, "Status") || strings.HasSuffix(goType, "Impact"):
		return "a string"
	case goType == "bool":
		return "true or false"
	case strings.HasPrefix(goType, "int") || strings.HasPrefix(goType, "float"):
		return "a number"
	}
	return "an object"
}

// parseTime reads an optional RFC 3339 time of field.
func parseTime(field, s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, headroom.Errorf(headroom.EINVALID, "%s: got %q, expected an RFC 3339 time such as 2021-06-30T17:00:00Z", field, s)
	}
	return t, nil
}
