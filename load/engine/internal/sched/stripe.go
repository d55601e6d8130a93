package sched

import (
	"fmt"
	"math/big"
	"math/bits"
)

// stripe decides which segment of a sequence owns each index (a VU number,
// an iteration number) of the unsegmented test.
//
// Rule: Tijdeman's solution of the "chairman assignment problem". With
// segment lengths l_k (sum 1) and c_k(n) the number of the first n indices
// given to segment k, index n-1 goes to the segment with the earliest
// deadline (c_k+1-σ)/l_k among those with n*l_k - c_k >= σ, σ = 1/(2(m-1)),
// ties to the lowest k. This keeps |c_k(n) - n*l_k| <= 1 - σ < 1 for every
// segment and every prefix n, so each instance's share is exact to ±1 and
// evenly interleaved in time, never bunched. The assignment is periodic with
// period D (the common denominator of the lengths): after D indices every
// c_k is exactly D*l_k. It depends only on the sequence, so every instance
// given the same sequence computes the same partition.
type stripe struct {
	w     []uint64 // segment lengths scaled by D
	d     uint64
	two   uint64 // 2(m-1)
	self  int
	table []uint16 // owner of each index of one period, when D is small
	// prefix[i] = indices < i of one period owned by self (with table)
	prefix []uint32
}

const (
	maxStripePeriod   = 1 << 40
	maxStripeSegments = 1024
	maxStripeTable    = 1 << 16
)

func newStripe(seq []*big.Rat, self int) (*stripe, error) {
	m := len(seq) - 1
	if m < 1 || self < 0 || self >= m {
		return nil, fmt.Errorf("execution segment sequence: bad segment index %d of %d", self, m)
	}
	if m > maxStripeSegments {
		return nil, fmt.Errorf("execution-segment-sequence: expected at most %d segments, got %d", maxStripeSegments, m)
	}
	lcd := big.NewInt(1)
	for _, r := range seq {
		den := r.Denom()
		g := new(big.Int).GCD(nil, nil, lcd, den)
		lcd.Mul(lcd, new(big.Int).Quo(den, g))
		if lcd.Cmp(big.NewInt(maxStripePeriod)) > 0 {
			return nil, fmt.Errorf("execution-segment-sequence: expected fractions with a common denominator up to 2^40, got a finer sequence")
		}
	}
	st := &stripe{d: lcd.Uint64(), self: self, two: uint64(2 * (m - 1))}
	for i := 0; i < m; i++ {
		l := new(big.Rat).Sub(seq[i+1], seq[i])
		l.Mul(l, new(big.Rat).SetInt(lcd))
		st.w = append(st.w, l.Num().Uint64()) // l is an integer here
	}
	if m > 1 && st.d <= maxStripeTable {
		// computed with the slow path first, then cached
		cur := st.cursor()
		table := make([]uint16, st.d)
		prefix := make([]uint32, st.d+1)
		for i := range table {
			o := cur.step()
			table[i] = uint16(o)
			prefix[i+1] = prefix[i]
			if o == self {
				prefix[i+1]++
			}
		}
		st.table, st.prefix = table, prefix
	}
	return st, nil
}

// fullStripe is the stripe of an unsegmented run: everything is ours.
func fullStripe() *stripe { return &stripe{w: []uint64{1}, d: 1} }

// stripeCursor walks the indices 0, 1, 2, ... in order.
type stripeCursor struct {
	st  *stripe
	pos int64    // next global index
	n   uint64   // indices already assigned in the current period
	c   []uint64 // per-segment counts in the current period
}

func (st *stripe) cursor() *stripeCursor {
	return &stripeCursor{st: st, c: make([]uint64, len(st.w))}
}

// step returns the owner of index pos and advances.
func (cu *stripeCursor) step() int {
	st := cu.st
	defer func() { cu.pos++ }()
	if len(st.w) == 1 {
		return 0
	}
	if st.table != nil {
		return int(st.table[uint64(cu.pos)%st.d])
	}
	n := cu.n + 1
	best := -1
	for k, w := range st.w {
		if w == 0 {
			continue
		}
		// eligible: two*n*w >= (two*c+1)*d
		if cmp128(mul128(st.two*n, w), mul128(st.two*cu.c[k]+1, st.d)) < 0 {
			continue
		}
		if best < 0 || cmp128(mul128(st.two*(cu.c[k]+1)-1, st.w[best]), mul128(st.two*(cu.c[best]+1)-1, w)) < 0 {
			best = k
		}
	}
	if best < 0 { // cannot happen (Tijdeman); keep going deterministically
		best = 0
	}
	cu.c[best]++
	cu.n = n
	if cu.n == st.d {
		cu.n = 0
		clear(cu.c)
	}
	return best
}

// nextOwned returns the next global index owned by this instance's segment.
func (cu *stripeCursor) nextOwned() int64 {
	for {
		p := cu.pos
		if cu.step() == cu.st.self {
			return p
		}
	}
}

// count is how many of the indices 0..v-1 this instance owns: the scaled
// value of v (VUs, iterations). Summed over a sequence it gives v exactly.
func (st *stripe) count(v int64) int64 {
	if v <= 0 {
		return 0
	}
	if len(st.w) == 1 {
		return v
	}
	q, r := uint64(v)/st.d, uint64(v)%st.d
	n := q * st.w[st.self]
	if st.table != nil {
		return int64(n + uint64(st.prefix[r]))
	}
	cu := st.cursor()
	for i := uint64(0); i < r; i++ {
		if cu.step() == st.self {
			n++
		}
	}
	return int64(n)
}

// owned lists the global indices < v owned by this instance (v small: VUs).
func (st *stripe) owned(v int64) []int64 {
	var out []int64
	cu := st.cursor()
	for i := int64(0); i < v; i++ {
		if cu.step() == st.self {
			out = append(out, i)
		}
	}
	return out
}

// mulDiv is a*b/c rounded down, without overflow for non-negative inputs
// whose quotient fits (times in ns times counts overflow int64 quickly).
func mulDiv(a, b, c int64) int64 {
	h, l := bits.Mul64(uint64(a), uint64(b))
	if h >= uint64(c) {
		return 1<<63 - 1
	}
	q, _ := bits.Div64(h, l, uint64(c))
	if q > 1<<63-1 {
		return 1<<63 - 1
	}
	return int64(q)
}

// mulDivCeil is a*b/c rounded up.
func mulDivCeil(a, b, c int64) int64 {
	h, l := bits.Mul64(uint64(a), uint64(b))
	if h >= uint64(c) {
		return 1<<63 - 1
	}
	q, rem := bits.Div64(h, l, uint64(c))
	if rem != 0 {
		q++
	}
	if q > 1<<63-1 {
		return 1<<63 - 1
	}
	return int64(q)
}

type u128 struct{ hi, lo uint64 }

func mul128(a, b uint64) u128 { h, l := bits.Mul64(a, b); return u128{h, l} }

func cmp128(a, b u128) int {
	switch {
	case a.hi < b.hi:
		return -1
	case a.hi > b.hi:
		return 1
	case a.lo < b.lo:
		return -1
	case a.lo > b.lo:
		return 1
	}
	return 0
}
