package prom

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/headroomhq/headroom"
)

// flaky answers a range query with the given statuses first, then with two
// series to sum.
func flaky(t *testing.T, statuses ...int) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := int(calls.Add(1))
		w.Header().Set("Content-Type", "application/json")
		if n <= len(statuses) {
			w.WriteHeader(statuses[n-1])
			switch statuses[n-1] {
			case http.StatusBadRequest:
				fmt.Fprint(w, `{"status":"error","errorType":"bad_data","error":"invalid parameter \"query\": 1:5: parse error: unexpected end of input"}`)
			case http.StatusServiceUnavailable:
				fmt.Fprint(w, `{"status":"error","errorType":"timeout","error":"query timed out in expression evaluation"}`)
			default:
				fmt.Fprint(w, "oops")
			}
			return
		}
		fmt.Fprint(w, `{"status":"success","data":{"resultType":"matrix","result":[
			{"metric":{"pod":"a"},"values":[[1622505600,"1"],[1622505615,"2"]]},
			{"metric":{"pod":"b"},"values":[[1622505615,"3"],[1622505630,"4"]]}]}}`)
	}))
	t.Cleanup(srv.Close)
	return srv, &calls
}

func TestRangerRetriesServerErrors(t *testing.T) {
	srv, calls := flaky(t, http.StatusInternalServerError, http.StatusServiceUnavailable)
	var retries []time.Duration
	var notes []string
	r := &Ranger{URL: srv.URL, Query: "sum(rate(x[1m]))", Backoff: time.Millisecond,
		OnRetry:   func(_ error, wait time.Duration) { retries = append(retries, wait) },
		OnWarning: func(w string) { notes = append(notes, w) }}
	start := time.Unix(1622505600, 0)
	points, err := r.Range(context.Background(), start, start.Add(30*time.Second), 15*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if calls.Load() != 3 || len(retries) != 2 || retries[1] != 2*retries[0] {
		t.Errorf("calls = %d, waits = %v; want 3 calls and a doubling backoff", calls.Load(), retries)
	}
	want := []float64{1, 5, 4}
	if len(points) != len(want) {
		t.Fatalf("points = %v, want values %v", points, want)
	}
	for i, p := range points {
		if p.Value != want[i] || !p.Time.Equal(start.Add(time.Duration(i)*15*time.Second)) {
			t.Errorf("point %d = %v, want %v at %s", i, p, want[i], start.Add(time.Duration(i)*15*time.Second))
		}
	}
	if len(notes) != 1 || !strings.Contains(notes[0], "2 series; they are summed") {
		t.Errorf("notes = %q, want one about the summed series", notes)
	}
}

func TestRangerGivesUp(t *testing.T) {
	tests := []struct {
		name      string
		statuses  []int
		retries   int
		wantCalls int32
		wantCode  string
		want      string
	}{
		{"a refused query is not retried", []int{http.StatusBadRequest}, 3, 1, headroom.EINVALID, "parse error: unexpected end of input"},
		{"server errors until the retries run out", []int{502, 502, 502}, 2, 3, headroom.EUNAVAILABLE, "(3 attempts)"},
		{"no retry when told so", []int{502}, -1, 1, headroom.EUNAVAILABLE, "(1 attempt)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, calls := flaky(t, tt.statuses...)
			r := &Ranger{URL: srv.URL, Query: "sum(", Retries: tt.retries, Backoff: time.Millisecond}
			_, err := r.Range(context.Background(), time.Unix(1622505600, 0), time.Unix(1622505630, 0), 15*time.Second)
			if err == nil || headroom.ErrorCode(err) != tt.wantCode || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v (%s), want %s saying %q", err, headroom.ErrorCode(err), tt.wantCode, tt.want)
			}
			if calls.Load() != tt.wantCalls {
				t.Errorf("calls = %d, want %d", calls.Load(), tt.wantCalls)
			}
		})
	}
}

// A cancelled pull stops waiting between attempts.
func TestRangerStopsOnCancel(t *testing.T) {
	srv, _ := flaky(t, 502, 502, 502, 502, 502)
	ctx, cancel := context.WithCancel(context.Background())
	r := &Ranger{URL: srv.URL, Query: "up", Backoff: time.Hour, OnRetry: func(error, time.Duration) { cancel() }}
	done := make(chan error, 1)
	go func() {
		_, err := r.Range(ctx, time.Unix(1622505600, 0), time.Unix(1622505630, 0), 15*time.Second)
		done <- err
	}()
	select {
	case err := <-done:
		if err != context.Canceled {
			t.Errorf("err = %v, want context.Canceled", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Range still waits an hour after its context was cancelled")
	}
}
