package traffic

import (
	"bufio"
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"reflect"
	"slices"
	"strconv"

	"github.com/headroomhq/headroom"
	"github.com/headroomhq/headroom/internal/inputfile"
)

// promResponse is the body of GET /api/v1/query_range
// (https://prometheus.io/docs/prometheus/latest/querying/api/#range-queries).
// The result is decoded series by series and sample by sample so that an
// error can name its place, such as data.result[0].values[17].
type promResponse struct {
	Status    string   `json:"status"`
	ErrorType string   `json:"errorType"`
	Error     string   `json:"error"`
	Warnings  []string `json:"warnings"`
	Data      *struct {
		ResultType string            `json:"resultType"`
		Result     []json.RawMessage `json:"result"`
	} `json:"data"`
}

type promSeries struct {
	Metric map[string]string `json:"metric"`
	Values []json.RawMessage `json:"values"`
}

// promSample is one sample: a rate in requests per second at a time.
type promSample struct {
	ts     int64 // milliseconds
	rate   float64
	series int
	index  int
}

func (s promSample) path() string {
	return fmt.Sprintf("data.result[%d].values[%d]", s.series, s.index)
}

// MaxPrometheusSize bounds a Prometheus response, which is decoded whole;
// CSV and access logs stream, and are bounded by MaxIntervals instead.
const MaxPrometheusSize = 256 << 20

// The range of Prometheus timestamps accepted: years 1 to 9999, in seconds.
const (
	minPromTime = -62135596800
	maxPromTime = 253402300799
)

// readPrometheus reads a range-query response. Values are rates in requests
// per second, such as sum(rate(http_requests_total[1m])); each becomes a
// count of rate × step for the interval starting at its timestamp. Several
// series are summed. Missing samples are gaps, handled by the gap policy.
func readPrometheus(br *bufio.Reader, name string, opt Options) (*headroom.Series, []Warning, error) {
	// JSON is decoded whole, so it is read whole: up to a limit.
	data, err := io.ReadAll(io.LimitReader(br, MaxPrometheusSize+1))
	if err != nil {
		return nil, nil, readError(name, err)
	}
	if len(data) > MaxPrometheusSize {
		return nil, nil, &headroom.InputError{File: name,
			Expected: fmt.Sprintf("a Prometheus response of at most %s (a month of one-second samples is about 80 MiB): query a longer step, or a shorter range per file", inputfile.Size(MaxPrometheusSize))}
	}
	var resp promResponse
	if err := json.Unmarshal(data, &resp); err != nil {
		return nil, nil, jsonError(name, data, "", err)
	}
	var warnings []Warning
	for _, w := range resp.Warnings {
		warnings = append(warnings, Warning{File: name, Message: "Prometheus warned: " + w})
	}
	if resp.Status != "success" {
		expected := `"success"`
		if resp.Error != "" {
			expected += "; Prometheus said: " + resp.ErrorType + ": " + resp.Error
		}
		return nil, nil, &headroom.InputError{File: name, Field: "status", Value: resp.Status, Expected: expected}
	}
	if resp.Data == nil {
		return nil, nil, &headroom.InputError{File: name, Field: "data",
			Expected: "an object with resultType and result, the body of /api/v1/query_range"}
	}
	if resp.Data.ResultType != "matrix" {
		return nil, nil, &headroom.InputError{File: name, Field: "data.resultType", Value: resp.Data.ResultType,
			Expected: `"matrix", from /api/v1/query_range (/api/v1/query returns a single instant)`}
	}

	var samples []promSample
	summed := 0
	for i, raw := range resp.Data.Result {
		path := fmt.Sprintf("data.result[%d]", i)
		var ser promSeries
		if err := json.Unmarshal(raw, &ser); err != nil {
			return nil, nil, jsonError(name, data, path, err)
		}
		if len(ser.Values) > 0 {
			summed++
		}
		for j, v := range ser.Values {
			s, err := parsePromSample(name, v, i, j)
			if err != nil {
				return nil, nil, err
			}
			if j > 0 && s.ts <= samples[len(samples)-1].ts {
				prev := samples[len(samples)-1]
				return nil, nil, &headroom.InputError{File: name, Field: s.path(), Value: formatMillis(s.ts),
					Expected: fmt.Sprintf("a time after values[%d] (%s): samples must be in time order, without duplicates",
						j-1, formatMillis(prev.ts))}
			}
			samples = append(samples, s)
		}
	}
	if len(samples) == 0 {
		return nil, nil, &headroom.InputError{File: name, Field: "data.result",
			Expected: "at least one series with values: the query matched nothing in this time range"}
	}

	step, from, err := promStep(name, samples)
	if err != nil {
		return nil, nil, err
	}
	if err := checkPromGrid(name, samples, step, from); err != nil {
		return nil, nil, err
	}

	// Sum the series: order the samples by time, keeping series order
	// within a time so that errors name the first series.
	slices.SortStableFunc(samples, func(a, b promSample) int { return cmp.Compare(a.ts, b.ts) })
	merged := samples[:0:0]
	for _, s := range samples {
		if n := len(merged); n > 0 && merged[n-1].ts == s.ts {
			merged[n-1].rate += s.rate
			continue
		}
		merged = append(merged, s)
	}
	b := &builder{
		file:     name,
		gaps:     opt.Gaps,
		step:     step,
		max:      opt.maxIntervals(),
		stepFrom: from,
		where: func(ref int) row {
			s := merged[ref]
			return row{field: s.path(), value: formatMillis(s.ts), loc: s.path()}
		},
		counts: make([]float64, 0, len(merged)),
	}
	stepSeconds := float64(step) / 1000
	for i, s := range merged {
		count := s.rate * stepSeconds
		if math.IsInf(count, 0) {
			return nil, nil, &headroom.InputError{File: name, Field: s.path(), Value: strconv.FormatFloat(s.rate, 'g', -1, 64),
				Expected: "a rate whose count over the " + formatStep(step) + " step (summed over all series) is finite"}
		}
		if err := b.add(s.ts, count, i); err != nil {
			return nil, nil, err
		}
	}
	series, gapWarnings := b.series(name)
	if summed > 1 {
		warnings = append(warnings, Warning{File: name, Message: fmt.Sprintf(
			"summed %d series into one; aggregate in the query, e.g. sum(rate(http_requests_total[1m])), to get one series", summed)})
	}
	return series, append(warnings, gapWarnings...), nil
}

// parsePromSample parses [1625065200, "12.5"].
func parsePromSample(name string, raw json.RawMessage, series, index int) (promSample, error) {
	s := promSample{series: series, index: index}
	fail := func(value, expected string) (promSample, error) {
		return s, &headroom.InputError{File: name, Field: s.path(), Value: value, Expected: expected}
	}
	var pair []json.RawMessage
	if err := json.Unmarshal(raw, &pair); err != nil || len(pair) != 2 {
		return fail(clip(raw), `a pair [<unix time>, "<value>"], such as [1625065200, "12.5"]`)
	}
	t, err := strconv.ParseFloat(string(pair[0]), 64)
	if err != nil || t < minPromTime || t > maxPromTime {
		return fail(clip(pair[0]), "a Unix time in seconds, such as 1625065200 or 1625065200.5")
	}
	s.ts = int64(math.Round(t * 1000))
	text := string(pair[1])
	if len(text) > 0 && text[0] == '"' {
		if err := json.Unmarshal(pair[1], &text); err != nil {
			return fail(clip(pair[1]), "a number as a string, such as \"12.5\"")
		}
	}
	v, err := strconv.ParseFloat(text, 64)
	switch {
	case err != nil && !math.IsInf(v, 0):
		return fail(text, "a number of requests per second as a string, such as \"12.5\"")
	case math.IsNaN(v):
		return fail(text, "a number of requests per second, not NaN: the query divided by zero or had no data; "+
			"drop such points in the query or record them as 0")
	case math.IsInf(v, 0) || v < 0:
		return fail(text, "a finite, non-negative rate in requests per second; "+
			"use rate() or increase() on counters, not the raw counter or deriv()")
	}
	s.rate = v
	if v == 0 {
		s.rate = 0 // not -0
	}
	return s, nil
}

// promStep infers the step: the smallest difference between consecutive
// samples of one series. Prometheus evaluates every series of a range query
// at the same times, so every series is on one grid of that step. With
// only single samples, the differences between series are used.
func promStep(name string, samples []promSample) (step int64, from string, err error) {
	var at promSample
	for i := 1; i < len(samples); i++ {
		a, b := samples[i-1], samples[i]
		if a.series != b.series {
			continue
		}
		if d := b.ts - a.ts; step == 0 || d < step {
			step, at = d, b
		}
	}
	if step == 0 {
		sorted := slices.Clone(samples)
		slices.SortStableFunc(sorted, func(a, b promSample) int { return cmp.Compare(a.ts, b.ts) })
		for i := 1; i < len(sorted); i++ {
			if d := sorted[i].ts - sorted[i-1].ts; d > 0 && (step == 0 || d < step) {
				step, at = d, sorted[i]
			}
		}
	}
	if step == 0 {
		return 0, "", &headroom.InputError{File: name, Field: "data.result",
			Expected: "at least 2 samples at different times, to infer the step of the query"}
	}
	from = fmt.Sprintf("%s and the sample before it", at.path())
	if problem := checkStep(step); problem != "" {
		return 0, "", &headroom.InputError{File: name, Field: at.path(), Value: formatMillis(at.ts), Expected: problem}
	}
	if step%1000 != 0 {
		return 0, "", &headroom.InputError{File: name, Field: at.path(), Value: formatMillis(at.ts), Expected: fmt.Sprintf(
			"samples a whole number of seconds apart (the query's step); this one is %s after the sample before it",
			formatStep(step))}
	}
	return step, from, nil
}

// checkPromGrid checks that every series is sampled on one grid of the step:
// a series that skips samples has gaps (the gap policy decides), one that
// changes its rhythm is an error.
func checkPromGrid(name string, samples []promSample, step int64, from string) error {
	first := samples[0]
	for i, s := range samples {
		if i > 0 && samples[i-1].series == s.series {
			prev := samples[i-1]
			if (s.ts-prev.ts)%step != 0 {
				return &headroom.InputError{File: name, Field: s.path(), Value: formatMillis(s.ts), Expected: fmt.Sprintf(
					"a whole number of %s steps after values[%d] (%s): the step must be uniform (it was inferred from %s)",
					formatStep(step), prev.index, formatMillis(prev.ts), from)}
			}
			continue
		}
		if (s.ts-first.ts)%step != 0 {
			return &headroom.InputError{File: name, Field: s.path(), Value: formatMillis(s.ts), Expected: fmt.Sprintf(
				"a time on the %s grid of %s (%s): every series must come from the same range query",
				formatStep(step), first.path(), formatMillis(first.ts))}
		}
	}
	return nil
}

// jsonError turns an encoding/json error into an InputError, with the
// line of a syntax error and the place of a type error.
func jsonError(name string, data []byte, path string, err error) error {
	var syn *json.SyntaxError
	if errors.As(err, &syn) {
		off := min(max(syn.Offset-1, 0), int64(len(data)))
		return &headroom.InputError{File: name, Line: 1 + bytes.Count(data[:off], []byte{'\n'}),
			Expected: "valid JSON, the body of a Prometheus /api/v1/query_range response", Err: err}
	}
	var typ *json.UnmarshalTypeError
	if errors.As(err, &typ) {
		field := typ.Field
		if path != "" && field != "" {
			field = path + "." + field
		} else if path != "" {
			field = path
		}
		return &headroom.InputError{File: name, Field: field, Value: "a JSON " + typ.Value,
			Expected: jsonKind(typ.Type)}
	}
	return &headroom.InputError{File: name, Field: path,
		Expected: "the body of a Prometheus /api/v1/query_range response", Err: err}
}

// jsonKind says what JSON a Go type is decoded from, in words.
func jsonKind(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Slice, reflect.Array:
		return "a JSON array"
	case reflect.Struct, reflect.Map, reflect.Pointer:
		return "a JSON object"
	case reflect.String:
		return "a JSON string"
	}
	return "a JSON " + t.Kind().String()
}
