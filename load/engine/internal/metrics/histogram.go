package metrics

import (
	"math"
	"sort"
)

// histogram is a log-linear (geometric) histogram: bucket i holds magnitudes in
// (gamma^(i-1), gamma^i]. Reporting a bucket by 2*gamma^i/(gamma+1) bounds the relative error by
// (gamma-1)/(gamma+1) ~= 0.5%, well under the 1% we promise. Magnitudes are clamped to
// [histMinValue, histMaxValue], so a histogram never holds more than ~5.6k buckets per sign
// (~45 KB) however many samples it sees. The first exactCap values are also kept verbatim so small
// tests get exact percentiles.
type histogram struct {
	pos, neg bucketRange
	zero     uint64
	n        uint64
	exact    []float64 // nil once more than exactCap values were seen
	sorted   bool
}

const (
	histGamma    = 1.01
	histMinValue = 1e-9 // below this |v| counts as zero
	histMaxValue = 1e15
	exactCap     = 1024
)

var (
	histLogGamma = math.Log(histGamma)
	histMinIdx   = int(math.Ceil(math.Log(histMinValue) / histLogGamma))
	histMaxIdx   = int(math.Ceil(math.Log(histMaxValue) / histLogGamma))
)

// bucketRange is a dense slice of counters for indices offset..offset+len-1; it only grows to
// cover indices actually seen, within [histMinIdx, histMaxIdx].
type bucketRange struct {
	offset int
	counts []uint64
}

func (b *bucketRange) add(idx int) {
	if b.counts == nil {
		b.offset = idx
		b.counts = make([]uint64, 1, 64)
	}
	if idx < b.offset {
		grown := make([]uint64, len(b.counts)+(b.offset-idx))
		copy(grown[b.offset-idx:], b.counts)
		b.counts, b.offset = grown, idx
	}
	if need := idx - b.offset + 1; need > len(b.counts) {
		b.counts = append(b.counts, make([]uint64, need-len(b.counts))...)
	}
	b.counts[idx-b.offset]++
}

func bucketIndex(mag float64) int {
	if mag > histMaxValue {
		mag = histMaxValue
	}
	i := int(math.Ceil(math.Log(mag) / histLogGamma))
	return min(max(i, histMinIdx), histMaxIdx)
}

func bucketValue(i int) float64 {
	return 2 * math.Pow(histGamma, float64(i)) / (histGamma + 1)
}

func (h *histogram) add(v float64) {
	if math.IsNaN(v) {
		return
	}
	h.n++
	if h.n <= exactCap {
		h.exact = append(h.exact, v)
		h.sorted = false
	} else {
		h.exact = nil
	}
	switch mag := math.Abs(v); {
	case mag < histMinValue:
		h.zero++
	case v > 0:
		h.pos.add(bucketIndex(mag))
	default:
		h.neg.add(bucketIndex(mag))
	}
}

// buckets returns the total number of buckets in use (for the bounded-memory test).
func (h *histogram) buckets() int { return len(h.pos.counts) + len(h.neg.counts) }

// valueAtRank returns the value of the k-th smallest sample (0-based), approximated by its bucket.
func (h *histogram) valueAtRank(k uint64) float64 {
	var seen uint64
	// negatives: most negative first = highest magnitude index first
	for j := len(h.neg.counts) - 1; j >= 0; j-- {
		seen += h.neg.counts[j]
		if k < seen {
			return -bucketValue(h.neg.offset + j)
		}
	}
	seen += h.zero
	if k < seen {
		return 0
	}
	for j, c := range h.pos.counts {
		seen += c
		if k < seen {
			return bucketValue(h.pos.offset + j)
		}
	}
	return bucketValue(h.pos.offset + len(h.pos.counts) - 1)
}

// percentile returns the p-th percentile (0..100), interpolating linearly between the two closest
// ranks (the usual definition; exact while the values are still kept).
func (h *histogram) percentile(p float64) float64 {
	if h.n == 0 {
		return 0
	}
	rank := p / 100 * float64(h.n-1)
	lo := math.Floor(rank)
	frac := rank - lo
	if h.exact != nil {
		if !h.sorted {
			sort.Float64s(h.exact)
			h.sorted = true
		}
		a := h.exact[int(lo)]
		if frac == 0 || int(lo)+1 >= len(h.exact) {
			return a
		}
		return a + (h.exact[int(lo)+1]-a)*frac
	}
	a := h.valueAtRank(uint64(lo))
	if frac == 0 {
		return a
	}
	b := h.valueAtRank(uint64(lo) + 1)
	return a + (b-a)*frac
}
