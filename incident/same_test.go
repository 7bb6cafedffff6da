package incident

import (
	"reflect"
	"testing"
	"time"
)

// Same must tell apart two incidents that differ in any one field, of the
// incident or of an update, a nil slice from an empty one as
// reflect.DeepEqual does, and call a clone the same. A field added to
// Incident, Update or Affected and not compared by Same fails here (or,
// of a kind this test cannot change, stops it).
func TestSameSeesEveryField(t *testing.T) {
	at := time.Date(2026, 12, 7, 17, 0, 0, 0, time.UTC)
	base := Incident{ID: "inc-1", Kind: KindIncident, Name: "API errors", Status: Investigating, Impact: ImpactMajor,
		ComponentIDs: []string{"api"}, CreatedAt: at, UpdatedAt: at.Add(time.Minute), StartedAt: at.Add(-time.Minute),
		MonitoringAt: at.Add(2 * time.Minute), ResolvedAt: at.Add(3 * time.Minute), ScheduledFor: at.Add(4 * time.Minute),
		ScheduledUntil: at.Add(5 * time.Minute), AutoStart: true, AutoComplete: true, PostmortemDraft: "draft",
		PostmortemBody: "body", PostmortemPublishedAt: at.Add(6 * time.Minute), Draft: true, PublishedAt: at.Add(7 * time.Minute),
		Version: 3,
		Updates: []Update{
			{ID: "u2", Status: Identified, Body: "found it", CreatedAt: at.Add(time.Minute), DisplayAt: at.Add(time.Minute),
				Affected: []Affected{{ComponentID: "api", Name: "API", Old: DegradedPerformance, New: MajorOutage}}},
			{ID: "u1", Status: Investigating, Body: "looking", CreatedAt: at, DisplayAt: at},
		}}
	same := func(a, b Incident) bool {
		got := a.Same(&b)
		if want := reflect.DeepEqual(a, b); got && !want {
			t.Fatalf("Same calls two incidents DeepEqual tells apart the same:\n%+v\n%+v", a, b)
		}
		return got
	}
	if c := base.Clone(); !same(base, c) {
		t.Fatal("an incident and its clone are not the same")
	}
	// change sets v to another value of its kind, or fails the test.
	change := func(name string, v reflect.Value) {
		switch v.Kind() {
		case reflect.String:
			v.SetString(v.String() + "x")
		case reflect.Bool:
			v.SetBool(!v.Bool())
		case reflect.Int, reflect.Int64:
			v.SetInt(v.Int() + 1)
		case reflect.Slice:
			v.Set(reflect.Append(v, reflect.Zero(v.Type().Elem())))
		default:
			tm, ok := v.Interface().(time.Time)
			if !ok {
				t.Fatalf("field %s is a %s: teach Same to compare it, and this test to change it", name, v.Type())
			}
			v.Set(reflect.ValueOf(tm.Add(time.Second)))
		}
	}
	for _, part := range []struct {
		what string
		typ  reflect.Type
		of   func(c *Incident) reflect.Value
	}{
		{"the incident's", reflect.TypeFor[Incident](), func(c *Incident) reflect.Value { return reflect.ValueOf(c).Elem() }},
		{"an update's", reflect.TypeFor[Update](), func(c *Incident) reflect.Value { return reflect.ValueOf(&c.Updates[0]).Elem() }},
		{"an affected component's", reflect.TypeFor[Affected](), func(c *Incident) reflect.Value {
			return reflect.ValueOf(&c.Updates[0].Affected[0]).Elem()
		}},
	} {
		for f := range part.typ.NumField() {
			c := base.Clone()
			name := part.typ.Field(f).Name
			change(name, part.of(&c).Field(f))
			if same(base, c) {
				t.Errorf("Same misses a change of %s %s", part.what, name)
			}
		}
	}
	// nil and empty: DeepEqual tells them apart, and so must Same (a page
	// or its JSON may show them apart).
	a, b := base.Clone(), base.Clone()
	a.ComponentIDs, b.ComponentIDs = nil, []string{}
	if same(a, b) {
		t.Error("Same calls nil and empty component IDs the same")
	}
	a, b = base.Clone(), base.Clone()
	a.Updates[1].Affected, b.Updates[1].Affected = nil, []Affected{}
	if same(a, b) {
		t.Error("Same calls nil and empty affected components the same")
	}
	a, b = base.Clone(), base.Clone()
	a.Updates, b.Updates = nil, []Update{}
	if same(a, b) {
		t.Error("Same calls nil and empty updates the same")
	}
}
