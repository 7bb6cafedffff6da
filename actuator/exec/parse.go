package exec

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/headroomhq/headroom"
)

// expectedCapacity says what a read command must print.
const expectedCapacity = `expected one non-negative integer (that many instances, all ready) or a JSON object {"ready": N, "launching": M}`

// maxShown bounds how much of unparsable output an error quotes.
const maxShown = 200

// parseCapacity parses what a read command printed: one non-negative
// integer, or {"ready": N, "launching": M} with "launching" optional.
func parseCapacity(out []byte) (headroom.Capacity, error) {
	s := bytes.TrimSpace(out)
	if n, err := strconv.Atoi(string(s)); err == nil {
		if n < 0 {
			return headroom.Capacity{}, badOutput(s, nil)
		}
		return headroom.Capacity{Ready: n}, nil
	}
	if len(s) == 0 || s[0] != '{' {
		return headroom.Capacity{}, badOutput(s, nil)
	}

	var v struct {
		Ready     *int `json:"ready"`
		Launching *int `json:"launching"`
	}
	dec := json.NewDecoder(bytes.NewReader(s))
	// A misspelt field would otherwise read as 0 launching.
	dec.DisallowUnknownFields()
	if err := dec.Decode(&v); err != nil {
		return headroom.Capacity{}, badOutput(s, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return headroom.Capacity{}, badOutput(s, errors.New("data after the object"))
	}
	switch {
	case v.Ready == nil:
		return headroom.Capacity{}, badOutput(s, errors.New(`no "ready" field`))
	case *v.Ready < 0:
		return headroom.Capacity{}, badOutput(s, errors.New(`"ready" is negative`))
	case v.Launching != nil && *v.Launching < 0:
		return headroom.Capacity{}, badOutput(s, errors.New(`"launching" is negative`))
	}
	c := headroom.Capacity{Ready: *v.Ready}
	if v.Launching != nil {
		c.Launching = *v.Launching
	}
	return c, nil
}

// badOutput says what was printed (the start of it) and what was expected.
func badOutput(s []byte, detail error) error {
	shown := "printed nothing"
	if len(s) > 0 {
		q := string(s)
		if len(q) > maxShown {
			q = string(bytes.ToValidUTF8([]byte(q[:maxShown]), nil)) + "…"
		}
		shown = fmt.Sprintf("printed %q", q)
	}
	if detail != nil {
		return fmt.Errorf("%s (%v), %s", shown, detail, expectedCapacity)
	}
	return fmt.Errorf("%s, %s", shown, expectedCapacity)
}
