package sched

import (
	"fmt"
	"math/big"
	"strings"
)

// Segment is the part [From, To) of the whole test this instance runs.
type Segment struct{ From, To *big.Rat }

var (
	ratZero = big.NewRat(0, 1)
	ratOne  = big.NewRat(1, 1)
)

// FullSegment is 0:1, the whole test.
func FullSegment() Segment { return Segment{From: new(big.Rat), To: big.NewRat(1, 1)} }

// IsFull reports whether s is the whole test (nil bounds count as 0 and 1).
func (s Segment) IsFull() bool {
	f, t := s.bounds()
	return f.Sign() == 0 && t.Cmp(ratOne) == 0
}

func (s Segment) bounds() (*big.Rat, *big.Rat) {
	f, t := s.From, s.To
	if f == nil {
		f = ratZero
	}
	if t == nil {
		t = ratOne
	}
	return f, t
}

func (s Segment) String() string {
	f, t := s.bounds()
	return f.RatString() + ":" + t.RatString()
}

// parseRat reads "1/3", "0.5", "50%" or "1".
func parseRat(s string) (*big.Rat, error) {
	s = strings.TrimSpace(s)
	pct := strings.HasSuffix(s, "%")
	if pct {
		s = strings.TrimSuffix(s, "%")
	}
	r, ok := new(big.Rat).SetString(s)
	if !ok || s == "" {
		return nil, fmt.Errorf("expected a fraction like 1/3, 0.5 or 50%%, got %q", s)
	}
	if pct {
		r.Quo(r, big.NewRat(100, 1))
	}
	if r.Sign() < 0 || r.Cmp(ratOne) > 0 {
		return nil, fmt.Errorf("expected a value between 0 and 1, got %s", r.RatString())
	}
	return r, nil
}

// ParseSegment reads --execution-segment: "" (0:1), "a:b", or "b" (0:b).
func ParseSegment(s string) (Segment, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return FullSegment(), nil
	}
	from, to := "0", s
	if i := strings.IndexByte(s, ':'); i >= 0 {
		from, to = s[:i], s[i+1:]
	}
	f, err := parseRat(from)
	if err != nil {
		return Segment{}, fmt.Errorf("execution-segment %q: %w", s, err)
	}
	t, err := parseRat(to)
	if err != nil {
		return Segment{}, fmt.Errorf("execution-segment %q: %w", s, err)
	}
	if f.Cmp(t) >= 0 {
		return Segment{}, fmt.Errorf("execution-segment %q: expected from < to, got %s >= %s", s, f.RatString(), t.RatString())
	}
	return Segment{From: f, To: t}, nil
}

// ParseSequence reads --execution-segment-sequence "0,1/3,2/3,1". Values must
// increase strictly; a missing leading 0 or trailing 1 is added, so the
// result always covers [0,1). "" gives nil (no sequence).
func ParseSequence(s string) ([]*big.Rat, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, nil
	}
	var out []*big.Rat
	for _, part := range strings.Split(s, ",") {
		r, err := parseRat(part)
		if err != nil {
			return nil, fmt.Errorf("execution-segment-sequence %q: %w", s, err)
		}
		if n := len(out); n > 0 && out[n-1].Cmp(r) >= 0 {
			return nil, fmt.Errorf("execution-segment-sequence %q: expected strictly increasing values, got %s after %s", s, r.RatString(), out[n-1].RatString())
		}
		out = append(out, r)
	}
	return fillSequence(out), nil
}

func fillSequence(seq []*big.Rat) []*big.Rat {
	if len(seq) == 0 || seq[0].Sign() != 0 {
		seq = append([]*big.Rat{new(big.Rat)}, seq...)
	}
	if seq[len(seq)-1].Cmp(ratOne) != 0 {
		seq = append(seq, big.NewRat(1, 1))
	}
	return seq
}

// sequenceFor returns the full sequence to use and the index of seg in it.
// Without a sequence the segment's own bounds form it ({0,a,b,1}).
func sequenceFor(seg Segment, seq []*big.Rat) ([]*big.Rat, int, error) {
	f, t := seg.bounds()
	if f.Cmp(t) >= 0 || f.Sign() < 0 || t.Cmp(ratOne) > 0 {
		return nil, 0, fmt.Errorf("execution-segment %s: expected 0 <= from < to <= 1", seg)
	}
	if len(seq) == 0 {
		seq = []*big.Rat{f, t}
	}
	seq = fillSequence(append([]*big.Rat(nil), seq...))
	for i := 1; i < len(seq); i++ {
		if seq[i-1].Cmp(seq[i]) >= 0 {
			return nil, 0, fmt.Errorf("execution-segment-sequence: expected strictly increasing values, got %s after %s", seq[i].RatString(), seq[i-1].RatString())
		}
	}
	for i := 0; i+1 < len(seq); i++ {
		if seq[i].Cmp(f) == 0 && seq[i+1].Cmp(t) == 0 {
			return seq, i, nil
		}
	}
	parts := make([]string, len(seq))
	for i, r := range seq {
		parts[i] = r.RatString()
	}
	return nil, 0, fmt.Errorf("execution-segment %s: expected one of the intervals of the sequence %s", seg, strings.Join(parts, ","))
}
