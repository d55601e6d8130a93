package sched

import (
	"math"
	"math/big"
	"math/rand"
	"testing"
)

func mustSeq(t *testing.T, s string) []*big.Rat {
	t.Helper()
	seq, err := ParseSequence(s)
	if err != nil {
		t.Fatal(err)
	}
	return seq
}

func TestParseSegment(t *testing.T) {
	cases := map[string]string{"": "0:1", "1/3:2/3": "1/3:2/3", "0.5:1": "1/2:1", "2/3": "0:2/3", "25%:50%": "1/4:1/2"}
	for in, want := range cases {
		s, err := ParseSegment(in)
		if err != nil || s.String() != want {
			t.Errorf("ParseSegment(%q) = %v, %v; want %s", in, s, err, want)
		}
	}
	for _, in := range []string{"2/3:1/3", "0:1.5", "x", "1/3:1/3", "-1:1"} {
		if _, err := ParseSegment(in); err == nil {
			t.Errorf("ParseSegment(%q): want an error", in)
		}
	}
	if seq := mustSeq(t, "1/3,2/3"); len(seq) != 4 || seq[0].Sign() != 0 || seq[3].Cmp(ratOne) != 0 {
		t.Errorf("sequence not filled: %v", seq)
	}
	if _, err := ParseSequence("0,2/3,1/3,1"); err == nil {
		t.Error("decreasing sequence accepted")
	}
	seg, _ := ParseSegment("1/4:1/2")
	if _, _, err := sequenceFor(seg, mustSeq(t, "0,1/3,2/3,1")); err == nil {
		t.Error("segment outside the sequence accepted")
	}
	if seq, i, err := sequenceFor(seg, nil); err != nil || len(seq) != 4 || i != 1 {
		t.Errorf("default sequence of 1/4:1/2 = %v %d %v, want 0,1/4,1/2,1 and index 1", seq, i, err)
	}
}

// checkPartition walks n indices with one cursor per segment and checks
// that each index has exactly one owner, that every prefix gives each
// segment its share within bound, and that count() agrees.
func checkPartition(t *testing.T, seq []*big.Rat, n int64) {
	t.Helper()
	m := len(seq) - 1
	sts := make([]*stripe, m)
	curs := make([]*stripeCursor, m)
	for k := range sts {
		st, err := newStripe(seq, k)
		if err != nil {
			t.Fatal(err)
		}
		sts[k], curs[k] = st, st.cursor()
	}
	bound := 1.0
	if m > 1 {
		bound = 1 - 1/float64(2*(m-1)) + 1e-9
	}
	lens := make([]float64, m)
	for k := range lens {
		lens[k], _ = new(big.Rat).Sub(seq[k+1], seq[k]).Float64()
	}
	cnt := make([]int64, m)
	for i := int64(0); i < n; i++ {
		owner := -1
		for k, cu := range curs {
			o := cu.step()
			if k == 0 {
				owner = o
			} else if o != owner {
				t.Fatalf("index %d: instances disagree on the owner (%d vs %d)", i, owner, o)
			}
		}
		cnt[owner]++
		for k := range cnt {
			if d := math.Abs(float64(cnt[k]) - float64(i+1)*lens[k]); d > bound {
				t.Fatalf("seq %v: after %d indices segment %d has %d, want %.3f ±%.3f", seq, i+1, k, cnt[k], float64(i+1)*lens[k], bound)
			}
		}
		if i%97 == 0 || i == n-1 {
			var sum int64
			for k, st := range sts {
				c := st.count(i + 1)
				if c != cnt[k] {
					t.Fatalf("count(%d) of segment %d = %d, cursor says %d", i+1, k, c, cnt[k])
				}
				sum += c
			}
			if sum != i+1 {
				t.Fatalf("counts of %d sum to %d", i+1, sum)
			}
		}
	}
}

func TestStripePartition(t *testing.T) {
	for _, s := range []string{"0,1/3,2/3,1", "0,0.25,0.5,1", "0,1", "0,1/2,1", "0,0.1,0.3,0.35,0.9,1", "0,1/7,3/11,1"} {
		checkPartition(t, mustSeq(t, s), 5000)
	}
	r := rand.New(rand.NewSource(7))
	for trial := 0; trial < 40; trial++ {
		den := int64(2 + r.Intn(200))
		seq := []*big.Rat{new(big.Rat)}
		for p := int64(1); p < den; p++ {
			if r.Intn(int(den)/3+1) == 0 {
				seq = append(seq, big.NewRat(p, den))
			}
		}
		seq = append(seq, big.NewRat(1, 1))
		checkPartition(t, seq, 2000)
	}
}

// The slow path (no cached table, used for fine sequences) must give the
// same assignment as the table.
func TestStripeSlowPathMatchesTable(t *testing.T) {
	seq := mustSeq(t, "0,0.1,0.3,0.35,0.9,1")
	fast, _ := newStripe(seq, 2)
	slow, _ := newStripe(seq, 2)
	slow.table, slow.prefix = nil, nil
	fc, sc := fast.cursor(), slow.cursor()
	for i := 0; i < 3000; i++ {
		if a, b := fc.step(), sc.step(); a != b {
			t.Fatalf("index %d: table %d, slow %d", i, a, b)
		}
	}
	for _, v := range []int64{0, 1, 7, 19, 20, 21, 1234, 99999} {
		if a, b := fast.count(v), slow.count(v); a != b {
			t.Fatalf("count(%d): table %d, slow %d", v, a, b)
		}
	}
	// a sequence too fine for the table still works
	fine := mustSeq(t, "0,0.123457,0.5,1")
	st, err := newStripe(fine, 0)
	if err != nil || st.table != nil {
		t.Fatalf("fine sequence: %v (table %v)", err, st.table != nil)
	}
	checkPartition(t, fine, 3000)
}

// Scaled values (VUs, iterations) sum to the unsegmented value and each is
// within 1 of v*(b-a), with the segment alone (no sequence) too.
func TestScaleSums(t *testing.T) {
	for _, s := range []string{"0,1/3,2/3,1", "0,0.25,0.5,1"} {
		seq := mustSeq(t, s)
		for _, v := range []int64{0, 1, 2, 3, 5, 10, 100, 1001, 123456} {
			var sum int64
			for k := 0; k+1 < len(seq); k++ {
				st, _ := newStripe(seq, k)
				c := st.count(v)
				l, _ := new(big.Rat).Sub(seq[k+1], seq[k]).Float64()
				if math.Abs(float64(c)-float64(v)*l) >= 1 {
					t.Errorf("%s segment %d: %d of %d, want %.2f ±1", s, k, c, v, float64(v)*l)
				}
				sum += c
			}
			if sum != v {
				t.Errorf("%s: scaled %d sums to %d", s, v, sum)
			}
		}
	}
	seg, _ := ParseSegment("1/3:2/3")
	seq, i, _ := sequenceFor(seg, nil)
	st, _ := newStripe(seq, i)
	if got := st.count(30); got != 10 {
		t.Errorf("1/3:2/3 of 30 = %d, want 10", got)
	}
	if got := fullStripe().count(42); got != 42 {
		t.Errorf("full stripe: %d", got)
	}
}

// Each instance's iterations are spread over the whole run, not bunched:
// in every window of 30 consecutive indices a third of 0,1/3,2/3,1 gets 10.
func TestStripeInterleaved(t *testing.T) {
	seq := mustSeq(t, "0,1/3,2/3,1")
	st, _ := newStripe(seq, 1)
	cu := st.cursor()
	own := make([]bool, 3000)
	for i := range own {
		own[i] = cu.step() == 1
	}
	for w := 0; w+30 <= len(own); w++ {
		n := 0
		for _, o := range own[w : w+30] {
			if o {
				n++
			}
		}
		if n < 9 || n > 11 {
			t.Fatalf("window at %d has %d of 30", w, n)
		}
	}
}

func TestMulDiv(t *testing.T) {
	if got := mulDiv(6000, int64(1e9), 100); got != 60e9 {
		t.Errorf("mulDiv = %d", got)
	}
	big := int64(1) << 40
	if got := mulDiv(big, big, big); got != big {
		t.Errorf("mulDiv overflow: %d", got)
	}
	if got := mulDivCeil(7, 3, 2); got != 11 {
		t.Errorf("mulDivCeil(7,3,2) = %d", got)
	}
	if got := mulDivCeil(8, 3, 2); got != 12 {
		t.Errorf("mulDivCeil(8,3,2) = %d", got)
	}
}
