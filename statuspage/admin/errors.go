package admin

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/headroomhq/headroom"
)

// Codes of the admin API's errors beside headroom's own (EINVALID,
// ENOTFOUND, ECONFLICT, EUNAUTHORIZED, EUNAVAILABLE, EINTERNAL): problems
// of the HTTP request rather than of what it asks for.
const (
	// CodeTooLarge: the body is over the limit (413).
	CodeTooLarge = "too_large"
	// CodeUnsupportedMediaType: the body is not application/json (415).
	CodeUnsupportedMediaType = "unsupported_media_type"
	// CodeRateLimited: too many bad tokens from this client (429).
	CodeRateLimited = "rate_limited"
	// CodeNotAllowed: the route exists, the method does not (405).
	CodeNotAllowed = "method_not_allowed"
)

// ErrorBody is the JSON of every error answer:
//
//	{"error": {"code": "invalid", "message": "components: no component \"db\" (components: api, website)"}}
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail is a code for programs and a message for people.
type ErrorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// statusOf maps an error code to its HTTP status.
func statusOf(code string) int {
	switch code {
	case headroom.EINVALID:
		return http.StatusBadRequest
	case headroom.EUNAUTHORIZED:
		return http.StatusUnauthorized
	case headroom.ENOTFOUND:
		return http.StatusNotFound
	case headroom.ECONFLICT:
		return http.StatusConflict
	case headroom.EUNAVAILABLE:
		return http.StatusServiceUnavailable
	case CodeTooLarge:
		return http.StatusRequestEntityTooLarge
	case CodeUnsupportedMediaType:
		return http.StatusUnsupportedMediaType
	case CodeRateLimited:
		return http.StatusTooManyRequests
	case CodeNotAllowed:
		return http.StatusMethodNotAllowed
	}
	return http.StatusInternalServerError
}

// writeError answers err: its code and message, or "internal error" for
// anything that is not a *headroom.Error of a code people can act on, the
// cause going to the log.
func writeError(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	code, msg := headroom.EINTERNAL, "internal error"
	var e *headroom.Error
	switch {
	case errors.As(err, &e) && e.Code != headroom.EINTERNAL && e.Code != "":
		code, msg = e.Code, e.Message
		if msg == "" {
			msg = e.Error()
		}
	case headroom.ErrorCode(err) == headroom.EINVALID:
		code, msg = headroom.EINVALID, err.Error()
	}
	status := statusOf(code)
	switch {
	case code == headroom.EUNAVAILABLE:
		// Which server did not answer, and why, is for operators.
		msg = "the store is unavailable; try again"
		log.Error("admin: store unavailable", "method", r.Method, "path", r.URL.Path, "err", err)
	case status >= 500:
		log.Error("admin: request failed", "method", r.Method, "path", r.URL.Path, "status", status, "err", err)
	}
	writeJSON(w, status, ErrorBody{Error: ErrorDetail{Code: code, Message: msg}})
}

// writeJSON answers v with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		// Our own types: cannot fail.
		body = []byte(`{"error":{"code":"internal","message":"internal error"}}`)
		status = http.StatusInternalServerError
	}
	body = append(body, '\n')
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	w.Write(body)
}
