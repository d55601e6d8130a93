package sched

import (
	"math"
	"math/big"
	"time"
)

// rampingRate: the rate (iterations per timeUnit) moves linearly from the
// previous target to each stage's target. N(t), the integral of the rate,
// is the number of iterations due by t; iteration i starts at the first t
// where N(t) exceeds i (so i = 0 starts as soon as the rate is above 0).
// Per stage N is quadratic in t, solved in closed form; the stage totals
// are kept exact (big.Rat) so that the number of iterations does not
// depend on float rounding.
type rampingRate struct {
	stages []rateStage
	total  *big.Rat // N at the end
	dur    time.Duration
	hint   int // stage of the last lookup (i only grows)
}

type rateStage struct {
	start, d time.Duration
	r0, r1   float64  // rates per nanosecond
	n0, n1   *big.Rat // N at stage start and end
}

func newRampingRate(startRate int64, unit time.Duration, stages []Stage) *rampingRate {
	rr := &rampingRate{total: new(big.Rat)}
	prev := startRate
	var s time.Duration
	for _, st := range stages {
		n0 := new(big.Rat).Set(rr.total)
		// iterations in the stage: (prev+target)/2 * d/unit
		inc := big.NewRat(prev+st.Target, 2)
		inc.Mul(inc, big.NewRat(int64(st.Duration), int64(unit)))
		rr.total.Add(rr.total, inc)
		rr.stages = append(rr.stages, rateStage{
			start: s, d: st.Duration,
			r0: float64(prev) / float64(unit), r1: float64(st.Target) / float64(unit),
			n0: n0, n1: new(big.Rat).Set(rr.total),
		})
		prev = st.Target
		s += st.Duration
	}
	rr.dur = s
	return rr
}

func (rr *rampingRate) length() time.Duration { return rr.dur }

func (rr *rampingRate) at(i int64) (time.Duration, bool) {
	ir := new(big.Rat).SetInt64(i)
	if rr.total.Cmp(ir) <= 0 {
		return 0, false
	}
	j := rr.hint
	if j >= len(rr.stages) || rr.stages[j].n0.Cmp(ir) > 0 {
		j = 0
	}
	for rr.stages[j].n1.Cmp(ir) <= 0 {
		j++
	}
	rr.hint = j
	st := rr.stages[j]
	c, _ := new(big.Rat).Sub(ir, st.n0).Float64()
	if c <= 0 {
		return st.start, true
	}
	// N(s) - n0 = r0*s + (r1-r0)/(2d)*s^2 = c; the form 2c/(b+sqrt(b^2+4ac))
	// is stable for a = 0 and for ramp-downs (a < 0).
	a := (st.r1 - st.r0) / (2 * float64(st.d))
	b := st.r0
	disc := b*b + 4*a*c
	if disc < 0 {
		disc = 0
	}
	s := 2 * c / (b + math.Sqrt(disc))
	if math.IsNaN(s) || s > float64(st.d) {
		s = float64(st.d)
	}
	off := st.start + time.Duration(math.Round(s))
	if off >= rr.dur { // rounding; i < total means it is due before the end
		off = rr.dur - 1
	}
	return off, true
}
