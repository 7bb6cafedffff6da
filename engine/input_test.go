package engine

import (
	"fmt"
	"math"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/headroomhq/headroom"
	"github.com/headroomhq/headroom/schedule"
)

// deepClone returns a copy of v that shares no memory with it: every
// pointer, slice, map and interface is followed and copied, unexported
// fields included (State's agenda, a schedule's parsed spec). Times and
// zones are values nobody mutates and are kept.
func deepClone[T any](v T) T {
	src := reflect.ValueOf(&v).Elem()
	dst := reflect.New(src.Type()).Elem()
	cloneInto(dst, src)
	return dst.Interface().(T)
}

var (
	timeType     = reflect.TypeFor[time.Time]()
	locationType = reflect.TypeFor[*time.Location]()
)

// open makes an unexported field readable and writable (the copy is
// ours); a value that is not addressable is copied to one that is, so its
// own unexported fields can be opened in turn.
func open(v reflect.Value) reflect.Value {
	if !v.CanAddr() {
		a := reflect.New(v.Type()).Elem()
		a.Set(v)
		return a
	}
	if v.CanSet() {
		return v
	}
	return reflect.NewAt(v.Type(), unsafe.Pointer(v.UnsafeAddr())).Elem()
}

func cloneInto(dst, src reflect.Value) {
	dst, src = open(dst), open(src)
	if src.Type() == timeType || src.Type() == locationType {
		dst.Set(src)
		return
	}
	switch src.Kind() {
	case reflect.Pointer:
		if src.IsNil() {
			return
		}
		p := reflect.New(src.Type().Elem())
		cloneInto(p.Elem(), src.Elem())
		dst.Set(p)
	case reflect.Slice:
		if src.IsNil() {
			return
		}
		s := reflect.MakeSlice(src.Type(), src.Len(), src.Len())
		for i := range src.Len() {
			cloneInto(s.Index(i), src.Index(i))
		}
		dst.Set(s)
	case reflect.Map:
		if src.IsNil() {
			return
		}
		m := reflect.MakeMapWithSize(src.Type(), src.Len())
		for it := src.MapRange(); it.Next(); {
			k, e := reflect.New(src.Type().Key()).Elem(), reflect.New(src.Type().Elem()).Elem()
			cloneInto(k, it.Key())
			cloneInto(e, it.Value())
			m.SetMapIndex(k, e)
		}
		dst.Set(m)
	case reflect.Interface:
		if src.IsNil() {
			return
		}
		e := reflect.New(src.Elem().Type()).Elem()
		cloneInto(e, src.Elem())
		dst.Set(e)
	case reflect.Struct:
		for i := range src.NumField() {
			cloneInto(dst.Field(i), src.Field(i))
		}
	case reflect.Array:
		for i := range src.Len() {
			cloneInto(dst.Index(i), src.Index(i))
		}
	case reflect.Func, reflect.Chan, reflect.UnsafePointer:
		panic(fmt.Sprintf("deepClone: a %s cannot be copied: the engine's input holds none", src.Type()))
	default:
		dst.Set(src)
	}
}

// sharedSpare names the slices of out that lie in the spare capacity of
// the same slice of in: another Decide from in would append over them.
// Comparing values cannot see that when the other decision happens to
// append the same value.
func sharedSpare(in, out State) []string {
	var names []string
	iv, ov := reflect.ValueOf(in), reflect.ValueOf(out)
	for i := range iv.NumField() {
		a, b := iv.Field(i), ov.Field(i)
		if a.Kind() != reflect.Slice || a.Cap() == a.Len() || b.Len() == 0 {
			continue
		}
		size := a.Type().Elem().Size()
		spareFrom, spareTo := a.Pointer()+uintptr(a.Len())*size, a.Pointer()+uintptr(a.Cap())*size
		from, to := b.Pointer(), b.Pointer()+uintptr(b.Len())*size
		if from < spareTo && spareFrom < to {
			names = append(names, iv.Type().Field(i).Name)
		}
	}
	return names
}

func TestDeepCloneSharesNothing(t *testing.T) {
	// The helper itself: a change through the original never shows in the
	// copy, at any depth, unexported fields included.
	p := everyRulePolicy(t)
	st := NewState(p, t0)
	in := Input{Now: t0, Policy: p, State: st, Guards: guards()}
	c := deepClone(in)
	if !reflect.DeepEqual(c, in) {
		t.Fatal("the copy differs from the original")
	}
	*in.Policy.Schedules[0].Min = 99
	in.Policy.Target.Metrics[0].Target = 1
	in.Guards.Emergency.Ceiling = 1
	in.State.agenda.i = 7
	if reflect.DeepEqual(c, in) {
		t.Fatal("a change to the original shows in the copy")
	}
}

// everyRulePolicy has every rule of the HPA side: schedules (bounds and a
// desired count), three metrics (cpu, a KEDA external metric with a
// fallback, a KEDA cron window), behavior with stabilization windows and
// rate policies both ways.
func everyRulePolicy(t *testing.T) *headroom.Policy {
	t.Helper()
	parse := func(spec string) headroom.Schedule {
		s, err := schedule.Parse(spec, time.UTC)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	p := &headroom.Policy{Name: "every rule", Min: 2, Max: 60, Target: &headroom.TargetTracking{
		Metrics: []headroom.MetricTarget{
			{Name: "cpu", Kind: headroom.MetricCPU, Target: 50},
			{Name: "queue", Kind: headroom.MetricRPS, Target: 100, External: true},
			{Name: "cron", Kind: headroom.MetricCron, Target: 1, External: true,
				Window: &headroom.CronWindow{StartSpec: "0 * * * *", EndSpec: "10 * * * *", TimeZone: time.UTC,
					Start: parse("0 * * * *"), End: parse("10 * * * *"), Desired: 30}},
		},
		ScaleUpTolerance: 0.1, ScaleDownTolerance: 0.1, SyncPeriod: 15 * time.Second, Window: 30 * time.Second,
		ScaleUp: headroom.ScalingRules{StabilizationWindow: 30 * time.Second, Select: headroom.SelectMax, Policies: []headroom.RatePolicy{
			{Kind: headroom.RatePods, Value: 4, Period: 15 * time.Second},
			{Kind: headroom.RatePercent, Value: 50, Period: time.Minute}}},
		// Scale-in a little every sync, so that several scale events are
		// remembered at once (a slice with room to grow).
		ScaleDown: headroom.ScalingRules{StabilizationWindow: time.Minute, Select: headroom.SelectMin, Policies: []headroom.RatePolicy{
			{Kind: headroom.RatePods, Value: 1, Period: 15 * time.Second},
			{Kind: headroom.RatePercent, Value: 20, Period: time.Minute}}},
		Fallback: &headroom.Fallback{FailureThreshold: 2, Replicas: 8},
	}}
	p.Schedules = []headroom.ScheduledAction{
		{Name: "narrow", Spec: "30 * * * *", TimeZone: time.UTC, Schedule: parse("30 * * * *"), Min: ptr(3), Max: ptr(40)},
		{Name: "cut", Spec: "45 * * * *", TimeZone: time.UTC, Schedule: parse("45 * * * *"), Desired: ptr(4), Min: ptr(2), Max: ptr(60)},
	}
	return p
}

// everyAWSRulePolicy has every rule of the AWS side: target tracking with
// two policies (one that may not scale in) and instance warmup, step
// scaling both ways with cooldowns, and the same schedules.
func everyAWSRulePolicy(t *testing.T) *headroom.Policy {
	p := awsPolicy(2, 60,
		headroom.AWSPolicy{Name: "cpu60", ScaleOutCooldown: 2 * time.Minute, ScaleInCooldown: 3 * time.Minute},
		headroom.AWSPolicy{Name: "rps", ScaleOutCooldown: time.Minute, DisableScaleIn: true})
	p.Target.Metrics[1] = headroom.MetricTarget{Name: "rps", Kind: headroom.MetricRPS, Target: 40}
	p.Target.AWS.InDatapoints = 3
	p.Target.AWS.InstanceWarmup = 30 * time.Minute
	p.Steps = stepPolicies()
	p.Steps[0].Cooldown, p.Steps[1].Cooldown = 2*time.Minute, 3*time.Minute
	p.Schedules = everyRulePolicy(t).Schedules
	p.Name = "every AWS rule"
	return p
}

// observed is what the scenario shows the autoscaler at minute m of a
// three-hour run: load that rises and falls, a stretch with no metrics
// (fallback, blind guard), one with stale metrics, and a saturation
// (emergency scale-out).
func observed(now time.Time, m int, ready int) headroom.Observation {
	demand := 1500 + 1300*math.Sin(float64(m)/9)
	obs := headroom.Observation{Time: now.Add(-15 * time.Second), Demand: demand, HasDemand: true, HasHealth: true, ErrorRatio: 0.001,
		Latency: 100 * time.Millisecond, Utilization: min(100, 100*demand/(100*float64(max(ready, 1)))), HasUtilization: true}
	switch {
	case m%50 >= 20 && m%50 < 24: // a broken metrics pipeline
		obs = headroom.Observation{Time: now}
	case m%50 >= 30 && m%50 < 33: // the pipeline lags
		obs.Time = now.Add(-10 * time.Minute)
	case m%50 >= 40 && m%50 < 42: // saturated
		obs.Utilization, obs.ErrorRatio, obs.Latency = 99, 0.2, 3*time.Second
	}
	return obs
}

func TestDecideDoesNotChangeItsInput(t *testing.T) {
	// Decide's contract (ARCHITECTURE.md, State): it returns a new state
	// and never changes what it was given, so a caller can decide twice
	// from one state (the controller after a failed actuation, a shadow
	// policy) and keep every result. Every rule runs here, with guards,
	// and at every decision the whole input — state, policy, guards — is
	// compared with a deep copy taken before.
	for _, p := range []*headroom.Policy{everyRulePolicy(t), everyAWSRulePolicy(t)} {
		t.Run(p.Name, func(t *testing.T) {
			stateSlices := map[string]bool{} // State's slice fields seen non-empty in an input
			codes := map[headroom.ReasonCode]bool{}
			fired := make([]int, len(p.Schedules))
			// Rules whose reason code another rule shares, known by their
			// sentence.
			messages := []string{"KEDA falls back", "stabilization window", "scale-in frozen", "deferred", "rate limited"}
			if p.Target.AWS != nil {
				messages = []string{"step scaling \"out\"", "step scaling \"in\"", "warm up", "under 90% of target", "policy \"rps\"", "policy \"cpu60\""}
			}
			saw := map[string]bool{}
			st := NewState(p, t0)
			current := headroom.Capacity{Ready: 10}
			for i := 0; i < 3*60*4; i++ { // every 15 s for three hours
				now := t0.Add(time.Duration(i) * 15 * time.Second)
				in := Input{Now: now, Policy: p, Current: current, State: st, Guards: guards(),
					Observation: observed(now, i/4, current.Ready)}
				sv := reflect.ValueOf(in.State)
				for f := range sv.NumField() {
					if sv.Field(f).Kind() == reflect.Slice && sv.Field(f).Len() > 0 {
						stateSlices[sv.Type().Field(f).Name] = true
					}
				}
				before := deepClone(in)
				out := Decide(in)
				kept := deepClone(out)
				if !reflect.DeepEqual(in, before) {
					t.Fatalf("%s: Decide changed its input (%s)", now.Format("15:04:05"), out.Reason.Code)
				}
				if shared := sharedSpare(in.State, out.State); len(shared) > 0 {
					t.Fatalf("%s: the new state's %v lie in the spare capacity of the input's: another Decide from the input would write over them",
						now.Format("15:04:05"), shared)
				}
				// The same state again, and with other observations that
				// scale out, scale in and see nothing: none changes the
				// first result.
				again := Decide(in)
				for _, obs := range []headroom.Observation{
					{Time: now, Demand: 9000, HasDemand: true, Utilization: 100, HasUtilization: true, HasHealth: true},
					{Time: now, Demand: 50, HasDemand: true, Utilization: 5, HasUtilization: true, HasHealth: true},
					{Time: now},
				} {
					other := in
					other.Observation = obs
					Decide(other)
				}
				if !reflect.DeepEqual(out, kept) {
					t.Fatalf("%s: a second Decide from the same state changed the first one's result", now.Format("15:04:05"))
				}
				if !reflect.DeepEqual(again, kept) {
					t.Fatalf("%s: Decide twice on one input: %d (%s), then %d (%s)", now.Format("15:04:05"),
						kept.Desired, kept.Reason.Code, again.Desired, again.Reason.Code)
				}
				// Guard mode asks Floor with the same state.
				fin := FloorInput{Now: now, Guards: guards(), Current: current, Observation: in.Observation, PlatformMin: 2, State: st}
				fbefore := deepClone(fin)
				Floor(fin)
				if !reflect.DeepEqual(fin, fbefore) {
					t.Fatalf("%s: Floor changed its input", now.Format("15:04:05"))
				}

				codes[out.Reason.Code] = true
				for _, m := range messages {
					if strings.Contains(out.Reason.Message, m) {
						saw[m] = true
					}
				}
				for k := range in.State.NextFire {
					if !out.State.NextFire[k].Equal(in.State.NextFire[k]) {
						fired[k]++
					}
				}
				st = out.State
				// Half of a scale-out is ready at the next decision.
				if d := out.Desired; d > current.Ready {
					current = headroom.Capacity{Ready: current.Ready + (d-current.Ready+1)/2, Launching: (d - current.Ready) / 2}
				} else {
					current = headroom.Capacity{Ready: d}
				}
			}
			// The run must have gone through every rule, or the test
			// proves nothing about it: every slice of State was in an
			// input, and every reason below was given.
			// A State slice added later is in this check at once.
			notHere := []string{"Alarms", "StepAlarms"} // AWS only
			if p.Target.AWS != nil {
				notHere = []string{"UpWindow", "DownWindow", "UpEvents", "DownEvents", "Windows", "Failures", "cron"} // HPA and KEDA only
			}
			var missing []string
			stateType := reflect.TypeFor[State]()
			for i := range stateType.NumField() {
				f := stateType.Field(i)
				if f.Type.Kind() == reflect.Slice && !stateSlices[f.Name] && !slices.Contains(notHere, f.Name) {
					missing = append(missing, "State."+f.Name)
				}
			}
			if st.agenda == nil {
				missing = append(missing, "State.agenda")
			}
			for k, n := range fired {
				if n < 2 {
					missing = append(missing, fmt.Sprintf("scheduled action %q (fired %d times)", p.Schedules[k].Name, n))
				}
			}
			for _, m := range messages {
				if !saw[m] {
					missing = append(missing, fmt.Sprintf("a reason saying %q", m))
				}
			}
			want := []headroom.ReasonCode{headroom.ReasonEmergency, headroom.ReasonBlind, headroom.ReasonScaleInDeferred}
			if p.Target.AWS == nil {
				want = append(want, headroom.ReasonStabilized, headroom.ReasonScaleUpLimit, headroom.ReasonScaleDownLimit)
			} else {
				want = append(want, headroom.ReasonScaleUp)
			}
			for _, c := range want {
				if !codes[c] {
					missing = append(missing, "reason "+string(c))
				}
			}
			if len(missing) > 0 {
				t.Errorf("the scenario did not exercise %v (reasons given: %v)", missing, codes)
			}
		})
	}
}
