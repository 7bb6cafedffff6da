package report

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/headroomhq/headroom/check"
)

// JSON writes the report as indented JSON, in the form its struct tags
// define (documented in docs/CHECK-JSON.md), followed by a newline. Unlike
// json.Marshal it leaves <, > and & unescaped: the output is read by
// programs and people, not pasted into HTML. Charts are not part of it.
//
// A NaN or infinite number in the report is an error, as it is for
// encoding/json: JSON has no way to write it.
func JSON(w io.Writer, r *check.Report) error {
	if r == nil {
		return errNilReport
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(r); err != nil {
		return fmt.Errorf("report: json: %w", err)
	}
	return nil
}
