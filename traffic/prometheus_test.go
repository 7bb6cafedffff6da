package traffic_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/headroomhq/headroom/traffic"
)

// t0 is 2021-06-30T15:00:00Z in Unix seconds.
const t0 = 1625065200

// matrix returns a successful range-query response with the given series,
// each a list of [time, value] samples already in JSON.
func matrix(series ...string) string {
	var results []string
	for i, values := range series {
		results = append(results, fmt.Sprintf(`{"metric":{"instance":"web-%d"},"values":[%s]}`, i, values))
	}
	return `{"status":"success","data":{"resultType":"matrix","result":[` + strings.Join(results, ",") + `]}}`
}

// samples returns JSON samples at t0+offset seconds with the given rate.
func samples(pairs ...any) string {
	var out []string
	for i := 0; i < len(pairs); i += 2 {
		out = append(out, fmt.Sprintf(`[%v,"%v"]`, t0+pairs[i].(int), pairs[i+1]))
	}
	return strings.Join(out, ",")
}

func TestReadPrometheus(t *testing.T) {
	tests := []struct {
		name     string
		input    string
		gaps     traffic.GapPolicy
		start    string
		step     time.Duration
		counts   []float64
		warnings []wantWarning
	}{
		{
			name:  "rates times the step",
			input: matrix(samples(0, 1, 60, 2.5, 120, 0)),
			start: "2021-06-30T15:00:00Z", step: time.Minute, counts: []float64{60, 150, 0},
		},
		{
			name:  "15s step",
			input: matrix(samples(0, 4, 15, 2, 30, 1)),
			start: "2021-06-30T15:00:00Z", step: 15 * time.Second, counts: []float64{60, 30, 15},
		},
		{
			name:  "series are summed with a warning",
			input: matrix(samples(0, 1, 60, 1, 120, 1), samples(60, 2, 120, 2)),
			start: "2021-06-30T15:00:00Z", step: time.Minute, counts: []float64{60, 180, 180},
			warnings: []wantWarning{{0, "summed 2 series into one"}},
		},
		{
			name:  "values as JSON numbers",
			input: matrix(fmt.Sprintf(`[%d,1.5],[%d,2]`, t0, t0+10)),
			start: "2021-06-30T15:00:00Z", step: 10 * time.Second, counts: []float64{15, 20},
		},
		{
			name:  "fractional timestamps on a whole-second step",
			input: matrix(fmt.Sprintf(`[%d.5,"1"],[%d.5,"2"]`, t0, t0+30)),
			start: "2021-06-30T15:00:00.5Z", step: 30 * time.Second, counts: []float64{30, 60},
		},
		{
			name: "Prometheus warnings are passed on",
			input: `{"status":"success","warnings":["query hit the sample limit"],"data":{"resultType":"matrix","result":[` +
				`{"metric":{},"values":[` + samples(0, 1, 60, 1) + `]}]}}`,
			start: "2021-06-30T15:00:00Z", step: time.Minute, counts: []float64{60, 60},
			warnings: []wantWarning{{0, "Prometheus warned: query hit the sample limit"}},
		},
		{
			name:  "gap filled with zero",
			input: matrix(samples(0, 1, 60, 2, 240, 3)),
			gaps:  traffic.GapZero,
			start: "2021-06-30T15:00:00Z", step: time.Minute, counts: []float64{60, 120, 0, 0, 180},
			warnings: []wantWarning{{0,
				"2 missing intervals (2m0s, from 2021-06-30T15:02:00Z to 2021-06-30T15:04:00Z) after data.result[0].values[1], filled with 0"}},
		},
		{
			name:  "gap held",
			input: matrix(samples(0, 1, 60, 2, 240, 3)),
			gaps:  traffic.GapHold,
			start: "2021-06-30T15:00:00Z", step: time.Minute, counts: []float64{60, 120, 120, 120, 180},
			warnings: []wantWarning{{0, "filled with 120, the count of data.result[0].values[1]"}},
		},
		{
			name:  "a series stops, another starts later: the gap between them",
			input: matrix(samples(0, 1, 60, 1), samples(180, 1, 240, 1)),
			gaps:  traffic.GapZero,
			start: "2021-06-30T15:00:00Z", step: time.Minute, counts: []float64{60, 60, 0, 60, 60},
			warnings: []wantWarning{
				{0, "summed 2 series"},
				{0, "1 missing interval (1m0s, from 2021-06-30T15:02:00Z to 2021-06-30T15:03:00Z) after data.result[0].values[1]"},
			},
		},
		{
			name:  "series of one sample each: the step comes from their difference",
			input: matrix(samples(0, 1), samples(30, 2)),
			start: "2021-06-30T15:00:00Z", step: 30 * time.Second, counts: []float64{30, 60},
			warnings: []wantWarning{{0, "summed 2 series"}},
		},
		{
			name:  "empty series are ignored",
			input: matrix(samples(0, 1, 60, 1), ""),
			start: "2021-06-30T15:00:00Z", step: time.Minute, counts: []float64{60, 60},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, warnings, err := traffic.Read(strings.NewReader(tt.input), "prom.json",
				traffic.Options{Format: traffic.FormatPrometheus, Gaps: tt.gaps})
			if err != nil {
				t.Fatal(err)
			}
			checkSeriesValid(t, s)
			if got := s.Start.Format(time.RFC3339Nano); got != tt.start {
				t.Errorf("start: got %s, want %s", got, tt.start)
			}
			if s.Step != tt.step {
				t.Errorf("step: got %v, want %v", s.Step, tt.step)
			}
			if !slices.Equal(s.Counts, tt.counts) {
				t.Errorf("counts: got %v, want %v", s.Counts, tt.counts)
			}
			checkWarnings(t, warnings, "prom.json", tt.warnings)
		})
	}
}

func TestReadPrometheusErrors(t *testing.T) {
	tests := []struct {
		name  string
		input string
		want  wantError
	}{
		{
			name:  "status error carries Prometheus' message",
			input: `{"status":"error","errorType":"bad_data","error":"1:5: parse error: unexpected character"}`,
			want: wantError{field: "status", value: "error",
				expected: []string{`"success"`, "Prometheus said: bad_data: 1:5: parse error"}},
		},
		{
			name:  "instant query",
			input: `{"status":"success","data":{"resultType":"vector","result":[]}}`,
			want:  wantError{field: "data.resultType", value: "vector", expected: []string{`"matrix"`, "/api/v1/query_range"}},
		},
		{
			name:  "no data",
			input: `{"status":"success"}`,
			want:  wantError{field: "data", expected: []string{"resultType and result"}},
		},
		{
			name:  "no series",
			input: `{"status":"success","data":{"resultType":"matrix","result":[]}}`,
			want:  wantError{field: "data.result", expected: []string{"at least one series", "matched nothing"}},
		},
		{
			name:  "NaN value",
			input: matrix(samples(0, 1, 60, 1, 120, "NaN")),
			want:  wantError{field: "data.result[0].values[2]", value: "NaN", expected: []string{"not NaN"}},
		},
		{
			name:  "negative value in the second series",
			input: matrix(samples(0, 1, 60, 1), samples(0, 1, 60, -0.5)),
			want:  wantError{field: "data.result[1].values[1]", value: "-0.5", expected: []string{"non-negative rate"}},
		},
		{
			name:  "infinite value",
			input: matrix(samples(0, "+Inf", 60, 1)),
			want:  wantError{field: "data.result[0].values[0]", value: "+Inf", expected: []string{"finite"}},
		},
		{
			name:  "value that is not a number",
			input: matrix(samples(0, "lots", 60, 1)),
			want:  wantError{field: "data.result[0].values[0]", value: "lots", expected: []string{"requests per second"}},
		},
		{
			name:  "rate too large for a count",
			input: matrix(samples(0, "1e308", 60, 1)),
			want:  wantError{field: "data.result[0].values[0]", value: "1e+308", expected: []string{"finite"}},
		},
		{
			name:  "non-uniform step",
			input: matrix(samples(0, 1, 60, 1, 120, 1, 210, 1)),
			want: wantError{field: "data.result[0].values[3]", value: "2021-06-30T15:03:30Z",
				expected: []string{"a whole number of 60s steps after values[2] (2021-06-30T15:02:00Z)", "uniform"}},
		},
		{
			name:  "series on different grids",
			input: matrix(samples(0, 1, 60, 1), samples(30, 1, 90, 1)),
			want: wantError{field: "data.result[1].values[0]", value: "2021-06-30T15:00:30Z",
				expected: []string{"the 60s grid of data.result[0].values[0]", "same range query"}},
		},
		{
			name:  "step of a fraction of a second",
			input: matrix(fmt.Sprintf(`[%d,"1"],[%d.5,"1"]`, t0, t0+1)),
			want: wantError{field: "data.result[0].values[1]", value: "2021-06-30T15:00:01.5Z",
				expected: []string{"whole number of seconds", "1.5s after"}},
		},
		{
			name:  "step longer than a week",
			input: matrix(samples(0, 1, 8*86400, 1)),
			want: wantError{field: "data.result[0].values[1]", value: "2021-07-08T15:00:00Z",
				expected: []string{"at most 7.0d after the one before, not 8.0d"}},
		},
		{
			name:  "samples out of order",
			input: matrix(samples(60, 1, 0, 1)),
			want: wantError{field: "data.result[0].values[1]", value: "2021-06-30T15:00:00Z",
				expected: []string{"a time after values[0] (2021-06-30T15:01:00Z)"}},
		},
		{
			name:  "duplicate sample",
			input: matrix(samples(0, 1, 60, 1, 60, 1)),
			want: wantError{field: "data.result[0].values[2]", value: "2021-06-30T15:01:00Z",
				expected: []string{"without duplicates"}},
		},
		{
			name:  "gap refused by default",
			input: matrix(samples(0, 1, 60, 1, 180, 1)),
			want: wantError{field: "data.result[0].values[2]", value: "2021-06-30T15:03:00Z",
				expected: []string{"the interval after data.result[0].values[1]", "1 missing interval (1m0s, from 2021-06-30T15:02:00Z to 2021-06-30T15:03:00Z)",
					"use --gaps zero or --gaps hold to fill it"}},
		},
		{
			name:  "a single sample",
			input: matrix(samples(0, 1)),
			want:  wantError{field: "data.result", expected: []string{"at least 2 samples"}},
		},
		{
			name:  "sample that is not a pair",
			input: matrix(fmt.Sprintf(`[%d,"1"],[%d]`, t0, t0+60)),
			want:  wantError{field: "data.result[0].values[1]", value: "[1625065260]", expected: []string{"a pair"}},
		},
		{
			name:  "timestamp as a string",
			input: matrix(fmt.Sprintf(`["%d","1"]`, t0)),
			want:  wantError{field: "data.result[0].values[0]", value: `"1625065200"`, expected: []string{"Unix time in seconds"}},
		},
		{
			name:  "result of the wrong type",
			input: `{"status":"success","data":{"resultType":"matrix","result":{}}}`,
			want:  wantError{field: "data.result", value: "a JSON object", expected: []string{"a JSON array"}},
		},
		{
			name:  "values of the wrong type",
			input: `{"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":"none"}]}}`,
			want:  wantError{field: "data.result[0].values", value: "a JSON string", expected: []string{"a JSON array"}},
		},
		{
			name:  "syntax error names the line",
			input: "{\n  \"status\": \"success\",\n  \"data\": oops\n}\n",
			want:  wantError{line: 3, expected: []string{"valid JSON"}},
		},
		{
			name:  "empty input",
			input: "",
			want:  wantError{line: 1, expected: []string{"valid JSON"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _, err := traffic.Read(strings.NewReader(tt.input), "prom.json", traffic.Options{Format: traffic.FormatPrometheus})
			if err == nil {
				t.Fatalf("got a series of %d counts, want an error", len(s.Counts))
			}
			checkInputError(t, err, "prom.json", tt.want)
		})
	}
}
