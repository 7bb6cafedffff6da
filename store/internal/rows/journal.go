package rows

import (
	"fmt"
	"math"
	"time"

	"github.com/headroomhq/headroom"
)

// DecisionColumns lists the decisions columns a record is written to and
// read from, in the order of Decision's Fields and Values.
const DecisionColumns = `target, time, mode, current_ready, current_launching,
	decision_time, decision_current, desired, min, max, reason_code, reason_message,
	applied, error,
	observed_at, utilization, has_utilization, demand, has_demand, error_ratio, latency_ns, has_health,
	has_proposed, proposed_time, proposed_current, proposed_desired, proposed_min, proposed_max,
	proposed_code, proposed_message, intent_id`

// Decision is one decisions row; a nil pointer is NULL. The observation's
// figures are pointers because SQLite stores NaN as NULL (PostgreSQL keeps
// it): NULL reads back as NaN.
type Decision struct {
	Target                         string
	Time                           *int64
	Mode                           string
	Ready, Launching               int64
	DecisionTime                   *int64
	Current, Desired, Min, Max     int64
	Code, Message                  string
	Applied                        bool
	Err                            string
	ObservedAt                     *int64
	Utilization                    *float64
	HasUtilization                 bool
	Demand                         *float64
	HasDemand                      bool
	ErrorRatio                     *float64
	Latency                        int64
	HasHealth                      bool
	HasProposed                    bool
	PTime                          *int64
	PCurrent, PDesired, PMin, PMax *int64
	PCode, PMessage                *string
	Intent                         *int64
}

// Fields returns pointers to the row's fields, in DecisionColumns' order,
// for Scan.
func (d *Decision) Fields() []any {
	return []any{&d.Target, &d.Time, &d.Mode, &d.Ready, &d.Launching,
		&d.DecisionTime, &d.Current, &d.Desired, &d.Min, &d.Max, &d.Code, &d.Message,
		&d.Applied, &d.Err,
		&d.ObservedAt, &d.Utilization, &d.HasUtilization, &d.Demand, &d.HasDemand, &d.ErrorRatio, &d.Latency, &d.HasHealth,
		&d.HasProposed, &d.PTime, &d.PCurrent, &d.PDesired, &d.PMin, &d.PMax,
		&d.PCode, &d.PMessage, &d.Intent}
}

// Values returns the row's values, in DecisionColumns' order, for an
// INSERT.
func (d *Decision) Values() []any {
	return []any{d.Target, d.Time, d.Mode, d.Ready, d.Launching,
		d.DecisionTime, d.Current, d.Desired, d.Min, d.Max, d.Code, d.Message,
		d.Applied, d.Err,
		d.ObservedAt, d.Utilization, d.HasUtilization, d.Demand, d.HasDemand, d.ErrorRatio, d.Latency, d.HasHealth,
		d.HasProposed, d.PTime, d.PCurrent, d.PDesired, d.PMin, d.PMax,
		d.PCode, d.PMessage, d.Intent}
}

// FromRecord returns r's row. text is applied to the free text (the
// reason messages, the error): PostgreSQL's replacement of what its text
// cannot hold; nil keeps it as it is.
//
// It fails for a time UnixNano cannot represent, naming it.
func FromRecord(r headroom.DecisionRecord, text func(string) string) (Decision, error) {
	if text == nil {
		text = keep
	}
	d := Decision{
		Target: r.Target, Mode: r.Mode,
		Ready: int64(r.Current.Ready), Launching: int64(r.Current.Launching),
		Current: int64(r.Decision.Current), Desired: int64(r.Decision.Desired),
		Min: int64(r.Decision.Min), Max: int64(r.Decision.Max),
		Code: string(r.Decision.Reason.Code), Message: text(r.Decision.Reason.Message),
		Applied: r.Applied, Err: text(r.Error),
		Utilization: ptr(r.Observation.Utilization), HasUtilization: r.Observation.HasUtilization,
		Demand: ptr(r.Observation.Demand), HasDemand: r.Observation.HasDemand,
		ErrorRatio: ptr(r.Observation.ErrorRatio), Latency: int64(r.Observation.Latency),
		HasHealth: r.Observation.HasHealth,
	}
	if r.Intent != 0 {
		d.Intent = ptr(r.Intent)
	}
	var e Times
	d.Time = e.At("record time", r.Time)
	d.DecisionTime = e.At("decision time", r.Decision.Time)
	d.ObservedAt = e.At("observation time", r.Observation.Time)
	if p := r.Proposed; p != nil {
		d.HasProposed = true
		d.PTime = e.At("proposed time", p.Time)
		d.PCurrent, d.PDesired = ptr(int64(p.Current)), ptr(int64(p.Desired))
		d.PMin, d.PMax = ptr(int64(p.Min)), ptr(int64(p.Max))
		d.PCode, d.PMessage = ptr(string(p.Reason.Code)), ptr(text(p.Reason.Message))
	}
	if e.Err != nil {
		return Decision{}, e.Err
	}
	return d, nil
}

// keep is FromRecord's text for a store that holds any string.
func keep(s string) string { return s }

// Record returns the record d holds; times in UTC.
func (d *Decision) Record() headroom.DecisionRecord {
	r := headroom.DecisionRecord{
		Target: d.Target,
		Time:   Time(d.Time),
		Mode:   d.Mode,
		Observation: headroom.Observation{
			Time:           Time(d.ObservedAt),
			Utilization:    orNaN(d.Utilization),
			HasUtilization: d.HasUtilization,
			Demand:         orNaN(d.Demand),
			HasDemand:      d.HasDemand,
			ErrorRatio:     orNaN(d.ErrorRatio),
			Latency:        time.Duration(d.Latency),
			HasHealth:      d.HasHealth,
		},
		Current: headroom.Capacity{Ready: int(d.Ready), Launching: int(d.Launching)},
		Decision: headroom.Decision{
			Time:    Time(d.DecisionTime),
			Current: int(d.Current),
			Desired: int(d.Desired),
			Min:     int(d.Min),
			Max:     int(d.Max),
			Reason:  headroom.Reason{Code: headroom.ReasonCode(d.Code), Message: d.Message},
		},
		Applied: d.Applied,
		Error:   d.Err,
		Intent:  deref(d.Intent),
	}
	if d.HasProposed {
		// The tables' CHECK keeps the proposed columns set together.
		r.Proposed = &headroom.Decision{
			Time:    Time(d.PTime),
			Current: int(deref(d.PCurrent)),
			Desired: int(deref(d.PDesired)),
			Min:     int(deref(d.PMin)),
			Max:     int(deref(d.PMax)),
			Reason:  headroom.Reason{Code: headroom.ReasonCode(deref(d.PCode)), Message: deref(d.PMessage)},
		}
	}
	return r
}

// ScanRecord scans one row of DecisionColumns.
func ScanRecord(s Scanner) (headroom.DecisionRecord, error) {
	var d Decision
	if err := s.Scan(d.Fields()...); err != nil {
		return headroom.DecisionRecord{}, err
	}
	return d.Record(), nil
}

// orNaN returns *f, NaN for NULL.
func orNaN(f *float64) float64 {
	if f == nil {
		return math.NaN()
	}
	return *f
}

// IntentColumns lists the intents columns, in the order of IntentValues;
// a read (ScanIntent) has id before them.
const IntentColumns = `target, time, current_ready, current_launching, desired,
	reason_code, reason_message, token, state`

// IntentValues returns in's values, in IntentColumns' order, for an
// INSERT; text is as FromRecord's.
//
// It fails for a time UnixNano cannot represent.
func IntentValues(in headroom.Intent, text func(string) string) ([]any, error) {
	if text == nil {
		text = keep
	}
	at, err := Nanos(in.Time)
	if err != nil {
		return nil, fmt.Errorf("intent time: %w", err)
	}
	return []any{in.Target, at, in.Current.Ready, in.Current.Launching, in.Desired,
		string(in.Reason.Code), text(in.Reason.Message), in.Token, in.State}, nil
}

// ScanIntent scans one row of id, IntentColumns.
func ScanIntent(s Scanner) (headroom.Intent, error) {
	var in headroom.Intent
	var at *int64
	var code string
	if err := s.Scan(&in.ID, &in.Target, &at, &in.Current.Ready, &in.Current.Launching, &in.Desired,
		&code, &in.Reason.Message, &in.Token, &in.State); err != nil {
		return headroom.Intent{}, err
	}
	in.Time, in.Reason.Code = Time(at), headroom.ReasonCode(code)
	return in, nil
}
