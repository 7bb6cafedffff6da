package webhook

import (
	"errors"
	"net/url"
	"strings"
)

// redacted stands for a credential left out.
const redacted = "xxxxx"

// RedactURL returns a subscriber's URL fit for a log or a listing: a
// password in it, a user name alone (often a token) and the values of its
// query (?token=...) replaced by "xxxxx"; the scheme, host, path and query
// keys kept, so that people still know the receiver. A URL that does not
// parse is not shown at all.
func RedactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(a subscriber URL that does not parse)"
	}
	if u.User != nil {
		if _, has := u.User.Password(); has {
			u.User = url.UserPassword(u.User.Username(), redacted)
		} else {
			u.User = url.User(redacted)
		}
	}
	if u.RawQuery != "" {
		pairs := strings.Split(u.RawQuery, "&")
		for i, p := range pairs {
			if k, _, ok := strings.Cut(p, "="); ok {
				pairs[i] = k + "=" + redacted
			}
		}
		u.RawQuery = strings.Join(pairs, "&")
	}
	u.Fragment, u.RawFragment = "", ""
	return u.String()
}

// redactError takes a subscriber's URL out of err: net/http names the
// URL it failed to reach (with the password, not the query, left out),
// and url.Parse the URL it could not read.
func redactError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		ue.URL = RedactURL(ue.URL)
	}
	return err
}
