package tune

import (
	"cmp"
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/headroomhq/headroom"
	"github.com/headroomhq/headroom/detect"
	"github.com/headroomhq/headroom/sim"
)

// Defaults of the fields Options leaves zero.
const (
	// MinHistory is the least traffic Run tunes on: a day, so that the
	// normal replay holds a whole daily cycle.
	MinHistory = 24 * time.Hour
	// DefaultSeed places the faults; the same seed, traffic and policy
	// give the same rule.
	DefaultSeed = 9
	// DefaultBlips 30-second blips at 100% errors per recording: a
	// deploy's restart, a dependency's hiccup. They must not page.
	DefaultBlips       = 20
	DefaultBlipLength  = 30 * time.Second
	DefaultBlipErrors  = 1.0
	DefaultBursts      = 10
	DefaultBurstLength = 10 * time.Minute
	// DefaultBurstMinErrors and DefaultBurstMaxErrors bound a burst's
	// error ratio, drawn uniformly: 5% is 50 times a 99.9% SLO's budget
	// and 5 times a 99%'s; 10 minutes of it is what the seed incident's
	// users saw (two thirds of requests failing for about ten minutes).
	DefaultBurstMinErrors = 0.05
	DefaultBurstMaxErrors = 0.5
	// Warmup is the start of each recording left without faults, so that
	// every window of the grid is full when the first one comes.
	Warmup = time.Hour
	// batchRules is how many rules share one simulated run.
	batchRules = 48
)

// Options is one tuning run.
type Options struct {
	Service *headroom.Service
	// Policy is replayed as is: its own run is the normal days, so it
	// should be a policy that keeps the SLO (a page on its replay counts
	// as false).
	Policy  *headroom.Policy
	Traffic []*headroom.Series
	// Seed places the faults; DefaultSeed when zero.
	Seed uint64
	// Blips and Bursts per recording; the defaults when zero, none when
	// negative (bursts are required).
	Blips, Bursts int
	// BlipLength, BurstLength, BlipErrors and the burst error bounds:
	// the defaults when zero.
	BlipLength, BurstLength        time.Duration
	BlipErrors                     float64
	BurstMinErrors, BurstMaxErrors float64
	// Candidates are the rules searched; Grid when nil.
	Candidates []detect.Rule
	// Progress, when set, is called now and then with seconds simulated
	// and the seconds the search expects to simulate (it shrinks as rules
	// are ruled out). Calls are serialized.
	Progress func(done, total int)
	// Workers run simulations at once; GOMAXPROCS when zero.
	Workers int
}

// Row is a rule set's score, for the table.
type Row struct {
	Set
	Score
}

// Result is what Run found.
type Result struct {
	// Rule is the fastest candidate with no false page that caught every
	// burst, named TunedName; Found is false when none did, and Rule is
	// then the best that paged falsely never (most bursts caught, then
	// fastest), or zero when every candidate paged falsely.
	Rule  detect.Rule
	Found bool
	// Rows: the tuned rule (if any), the set --write puts in the service
	// file (the tuned rule and the defaults), then the References.
	Rows []Row
	// The search: candidates, those quiet on the blips, those that also
	// caught every burst, those also quiet on the normal replay.
	Candidates, QuietOnBlips, CaughtAll, Qualified int
	// Faults injected, in time order per recording and kind.
	Faults []Fault
	// Seconds of traffic replayed per scenario.
	Seconds int
	Options Options
}

func (o Options) withDefaults() Options {
	if o.Seed == 0 {
		o.Seed = DefaultSeed
	}
	if o.Blips == 0 {
		o.Blips = DefaultBlips
	}
	if o.Bursts == 0 {
		o.Bursts = DefaultBursts
	}
	if o.BlipLength <= 0 {
		o.BlipLength = DefaultBlipLength
	}
	if o.BurstLength <= 0 {
		o.BurstLength = DefaultBurstLength
	}
	if o.BlipErrors <= 0 {
		o.BlipErrors = DefaultBlipErrors
	}
	if o.BurstMinErrors <= 0 {
		o.BurstMinErrors = DefaultBurstMinErrors
	}
	if o.BurstMaxErrors <= 0 {
		o.BurstMaxErrors = DefaultBurstMaxErrors
	}
	if o.Workers <= 0 {
		o.Workers = runtime.GOMAXPROCS(0)
	}
	return o
}

// validate refuses what cannot be tuned on.
//
// Errors: EINVALID naming the recording that is too short, or the option
// out of range.
func (o Options) validate() error {
	if o.Service == nil || o.Policy == nil || len(o.Traffic) == 0 {
		return errors.New("tune: a service, a policy and traffic are required")
	}
	for _, tr := range o.Traffic {
		if d := time.Duration(tr.Seconds()) * time.Second; d < MinHistory {
			return headroom.Errorf(headroom.EINVALID, "traffic %s covers %s; tuning needs at least %s of history (a daily cycle to replay as the normal days)",
				tr.Name, Dur(d), Dur(MinHistory))
		}
	}
	switch {
	case o.Bursts < 0:
		return headroom.Errorf(headroom.EINVALID, "bursts: %d; expected 1 or more (a rule is judged by the bursts it catches)", o.Bursts)
	case !(o.BlipErrors <= 1) || !(o.BurstMinErrors <= o.BurstMaxErrors) || !(o.BurstMaxErrors <= 1):
		return headroom.Errorf(headroom.EINVALID, "error ratios: blips %v, bursts %v to %v; expected ratios in (0, 1], the bursts' lowest first",
			o.BlipErrors, o.BurstMinErrors, o.BurstMaxErrors)
	}
	return nil
}

// Run replays the traffic through the policy, injects the faults, searches
// the candidates and scores the references. See the package comment.
//
// Errors: EINVALID for traffic shorter than MinHistory or options out of
// range; a simulation's error, wrapped.
func Run(opt Options) (*Result, error) {
	opt = opt.withDefaults()
	if err := opt.validate(); err != nil {
		return nil, err
	}
	svc := opt.Service
	res := &Result{Options: opt}
	faults, all, minBurst := opt.faults()
	res.Faults = all
	for _, tr := range opt.Traffic {
		res.Seconds += tr.Seconds()
	}
	cands := opt.Candidates
	if cands == nil {
		cands = Grid(svc.SLO.MaxErrorRatio, minBurst)
	}
	res.Candidates = len(cands)
	sets := make([]Set, 0, len(cands)+3)
	for _, c := range cands {
		sets = append(sets, Set{Name: c.Name, Rules: []detect.Rule{c}})
	}
	refs := References(svc.SLO.MaxLatency)
	nc := len(sets)
	sets = append(sets, refs...)

	s := newSearch(opt, faults, sets)
	live := make([]int, len(sets))
	for i := range live {
		live[i] = i
	}
	isRef := func(i int) bool { return i >= nc }
	// Stages, most selective first: a candidate that pages on a blip or
	// misses a burst is not run further. The references run every stage.
	order := []Kind{Blips, Bursts, Normal}
	for si, k := range order {
		s.expect(live, len(order)-si)
		if err := s.stage(k, live); err != nil {
			return nil, err
		}
		var next []int
		for _, i := range live {
			sc := s.scores[i]
			keep := isRef(i) || sc.False() == 0 && (k != Bursts || sc.Caught == sc.Bursts)
			if keep {
				next = append(next, i)
			}
		}
		switch k {
		case Blips:
			res.QuietOnBlips = count(next, isRef)
		case Bursts:
			res.CaughtAll = count(next, isRef)
			if res.CaughtAll == 0 {
				// None caught every burst: carry the best few of
				// those quiet so far, for a best effort.
				next = s.best(live, isRef, 10)
			}
		}
		live = next
	}
	for i := range s.scores {
		s.scores[i].finish()
	}
	var qualified []int
	for _, i := range live {
		if !isRef(i) && s.scores[i].False() == 0 {
			qualified = append(qualified, i)
		}
	}
	if res.CaughtAll > 0 {
		res.Qualified = len(qualified)
	}
	slices.SortStableFunc(qualified, func(a, b int) int { return s.better(a, b) })
	if len(qualified) > 0 {
		best := qualified[0]
		res.Rule = sets[best].Rules[0]
		res.Rule.Name = TunedName
		res.Found = res.Qualified > 0 && s.scores[best].Caught == s.scores[best].Bursts
		res.Rows = append(res.Rows, Row{Set{Name: "tuned: " + TunedName, Rules: []detect.Rule{res.Rule}}, s.scores[best]})
		// The set --write puts in the file: its alerts are the union of
		// its rules' (the detector's rules are independent), so it is
		// scored from the runs already made.
		wr := Written(res.Rule, svc.SLO.MaxLatency)
		res.Rows = append(res.Rows, Row{Set{Name: "written: fast + default", Rules: wr}, s.union(best, nc)})
	}
	for i := nc; i < len(sets); i++ {
		res.Rows = append(res.Rows, Row{sets[i], s.scores[i]})
	}
	s.report(true)
	return res, nil
}

// faults places the faults of every recording: one random stream per
// recording, so adding a recording does not move another's faults. It
// returns them by recording and kind, all of them in one list, and the
// lowest burst error ratio.
func (opt Options) faults() ([][nKinds][]Fault, []Fault, float64) {
	faults := make([][nKinds][]Fault, len(opt.Traffic))
	var all []Fault
	minBurst := 1.0
	for i, tr := range opt.Traffic {
		rng := rand.New(rand.NewPCG(opt.Seed, uint64(i)))
		total, warm := tr.Seconds(), int(Warmup/time.Second)
		faults[i][Blips] = place(rng, Blips, i, tr.Start, total, warm, opt.Blips, int(opt.BlipLength/time.Second),
			func() float64 { return opt.BlipErrors })
		faults[i][Bursts] = place(rng, Bursts, i, tr.Start, total, warm, opt.Bursts, int(opt.BurstLength/time.Second),
			func() float64 { return opt.BurstMinErrors + rng.Float64()*(opt.BurstMaxErrors-opt.BurstMinErrors) })
		for _, f := range faults[i][Bursts] {
			minBurst = min(minBurst, f.ErrorRatio)
		}
		all = append(all, faults[i][Blips]...)
		all = append(all, faults[i][Bursts]...)
	}
	return faults, all, minBurst
}

func newSearch(opt Options, faults [][nKinds][]Fault, sets []Set) *search {
	s := &search{opt: opt, faults: faults, sets: sets, alerts: make([][][nKinds][]headroom.Alert, len(sets)),
		scores: make([]Score, len(sets))}
	for i := range s.alerts {
		s.alerts[i] = make([][nKinds][]headroom.Alert, len(opt.Traffic))
	}
	return s
}

func count(is []int, skip func(int) bool) int {
	n := 0
	for _, i := range is {
		if !skip(i) {
			n++
		}
	}
	return n
}

// search is the state of one Run.
type search struct {
	opt    Options
	faults [][nKinds][]Fault
	sets   []Set
	// alerts[set][traffic][kind] are the symptom alerts of the set's rules.
	alerts [][][nKinds][]headroom.Alert
	scores []Score

	mu          sync.Mutex
	done, total int
	lastShown   int
}

// better orders candidates: faster median detection, then faster p95,
// then shorter reset, then the grid's order (simplest first).
func (s *search) better(a, b int) int {
	x, y := s.scores[a], s.scores[b]
	return cmp.Or(cmp.Compare(y.Caught, x.Caught), cmp.Compare(x.DetectMedian, y.DetectMedian),
		cmp.Compare(x.DetectP95, y.DetectP95), cmp.Compare(x.ResetMedian, y.ResetMedian), cmp.Compare(a, b))
}

// best returns the references and the n candidates of live with no false
// page that caught most bursts, fastest.
func (s *search) best(live []int, isRef func(int) bool, n int) []int {
	var cands, out []int
	for _, i := range live {
		switch {
		case isRef(i):
			out = append(out, i)
		case s.scores[i].False() == 0:
			cands = append(cands, i)
		}
	}
	for _, i := range cands {
		s.scores[i].finish()
	}
	slices.SortStableFunc(cands, s.better)
	return append(out, cands[:min(n, len(cands))]...)
}

// expect sets the progress total: what is done plus the stages left for
// the sets still in the search.
func (s *search) expect(live []int, stages int) {
	rules := 0
	for _, i := range live {
		rules += len(s.sets[i].Rules)
	}
	batches := (rules + batchRules - 1) / batchRules
	s.mu.Lock()
	secs := 0
	for _, tr := range s.opt.Traffic {
		secs += tr.Seconds()
	}
	s.total = s.done + stages*batches*secs
	s.mu.Unlock()
}

func (s *search) report(final bool) {
	if s.opt.Progress == nil {
		return
	}
	if final {
		s.total = s.done
	}
	s.opt.Progress(s.done, s.total)
}

// job is one simulated run: a batch of sets on one recording and scenario.
type job struct {
	sets    []int
	traffic int
	kind    Kind
}

// stage runs the sets of live on every recording with the faults of kind
// k, and scores them.
func (s *search) stage(k Kind, live []int) error {
	var jobs []job
	for tr := range s.opt.Traffic {
		var cur []int
		n := 0
		for _, i := range live {
			if n+len(s.sets[i].Rules) > batchRules && len(cur) > 0 {
				jobs = append(jobs, job{cur, tr, k})
				cur, n = nil, 0
			}
			cur = append(cur, i)
			n += len(s.sets[i].Rules)
		}
		if len(cur) > 0 {
			jobs = append(jobs, job{cur, tr, k})
		}
	}
	ch := make(chan job)
	errs := make(chan error, len(jobs))
	var wg sync.WaitGroup
	for range min(s.opt.Workers, len(jobs)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range ch {
				if err := s.run(j); err != nil {
					errs <- err
				}
			}
		}()
	}
	for _, j := range jobs {
		ch <- j
	}
	close(ch)
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return err
	}
	for _, i := range live {
		for tr := range s.opt.Traffic {
			s.scores[i].add(k, s.alerts[i][tr][k], s.faults[tr][k])
		}
	}
	return nil
}

// run simulates one job: every rule of its sets in one detector, each
// renamed so its alerts come back to its set (the rules of a detector are
// independent: one rule's alerts do not depend on the others').
func (s *search) run(j job) error {
	tr := s.opt.Traffic[j.traffic]
	var rules []detect.Rule
	owner := map[string]int{}
	for _, i := range j.sets {
		for _, r := range s.sets[i].Rules {
			r.Name = fmt.Sprintf("s%d-%s", i, r.Name)
			owner[r.Name] = i
			rules = append(rules, r)
		}
	}
	det := detect.ForService(s.opt.Service)
	det.Rules = rules
	last := 0
	cfg := sim.Config{Service: s.opt.Service, Policy: s.opt.Policy, Traffic: tr, Detect: &det,
		Progress: func(done, _ int) {
			s.mu.Lock()
			s.done += done - last
			last = done
			if s.done-s.lastShown >= s.total/200 || done == tr.Seconds() {
				s.lastShown = s.done
				s.report(false)
			}
			s.mu.Unlock()
		}}
	if fs := s.faults[j.traffic][j.kind]; len(fs) > 0 {
		cfg.Inject = injector(fs)
	}
	res, err := sim.Run(cfg)
	if err != nil {
		return fmt.Errorf("tune: simulate %s on %s: %w", s.opt.Policy.Name, tr.Name, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, a := range res.Alerts {
		if a.Signal != headroom.SignalSymptom {
			continue
		}
		if i, ok := owner[a.Rule]; ok {
			s.alerts[i][j.traffic][j.kind] = append(s.alerts[i][j.traffic][j.kind], a)
		}
	}
	return nil
}

// union scores sets a and b together from their runs.
func (s *search) union(a, b int) Score {
	var sc Score
	for tr := range s.opt.Traffic {
		for k := range nKinds {
			as := append(slices.Clone(s.alerts[a][tr][k]), s.alerts[b][tr][k]...)
			sc.add(k, as, s.faults[tr][k])
		}
	}
	sc.finish()
	return sc
}

// Evaluate scores sets on the same scenarios Run builds (the same faults
// for the same options), every set on every scenario: for measuring given
// rules on other traffic, with no search.
//
// Errors: as Run's.
func Evaluate(opt Options, sets []Set) ([]Row, []Fault, error) {
	opt = opt.withDefaults()
	if err := opt.validate(); err != nil {
		return nil, nil, err
	}
	faults, all, _ := opt.faults()
	s := newSearch(opt, faults, sets)
	live := make([]int, len(sets))
	for i := range live {
		live[i] = i
	}
	for _, k := range []Kind{Normal, Blips, Bursts} {
		s.expect(live, int(nKinds-k))
		if err := s.stage(k, live); err != nil {
			return nil, nil, err
		}
	}
	rows := make([]Row, len(sets))
	for i := range sets {
		s.scores[i].finish()
		rows[i] = Row{sets[i], s.scores[i]}
	}
	s.report(true)
	return rows, all, nil
}
