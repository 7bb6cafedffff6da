package admin

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/headroomhq/headroom"
)

// DefaultMaxBody is the largest request body the admin API reads: room for
// a body of incident.MaxBodyLength characters of 4 bytes each, with JSON
// escapes (a postmortem is a few pages of Markdown, in any script).
const DefaultMaxBody = 512 << 10

// decode reads r's JSON body into v: application/json only, at most limit
// bytes, one JSON value, no field v does not have. optional allows an
// empty body (v is left as it is).
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
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, limit))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		if errors.Is(err, io.EOF) && optional {
			return nil
		}
		return decodeError(err, limit)
	}
	if err := dec.Decode(&struct{}{}); !errors.Is(err, io.EOF) {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return decodeError(err, limit)
		}
		return headroom.Errorf(headroom.EINVALID, "request body: expected one JSON object and nothing after it")
	}
	return nil
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
