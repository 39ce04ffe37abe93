package main

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"os"
	"sort"
	"strconv"
	"strings"
)

// runQuantile prints "P50 P99 MEAN COUNT" (milliseconds, milliseconds,
// milliseconds, observations) of a histogram between two scrapes of a
// Prometheus text exposition: the bucket deltas, summed over the series
// whose labels contain -match, interpolated within a bucket as
// histogram_quantile does. The mean is exact (delta of _sum over delta of
// _count); the quantiles are only as fine as the buckets.
func runQuantile(args []string, stdout io.Writer) error {
	fs := newFlags("quantile")
	metric := fs.String("metric", "", "histogram name, without _bucket")
	match := fs.String("match", "", `label text a series must contain, e.g. route="bench"`)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *metric == "" || fs.NArg() != 2 {
		return fmt.Errorf("need -metric and two scrape files")
	}
	before, err := readHistogram(fs.Arg(0), *metric, *match)
	if err != nil {
		return err
	}
	after, err := readHistogram(fs.Arg(1), *metric, *match)
	if err != nil {
		return err
	}
	d := after.minus(before)
	fmt.Fprintf(stdout, "%.1f %.1f %.1f %d\n", d.quantile(0.50)*1000, d.quantile(0.99)*1000, d.mean()*1000, int64(d.count))
	return nil
}

// histogram is one scrape of a histogram: cumulative bucket counts by
// upper bound, the sum and the count.
type histogram struct {
	buckets    map[float64]float64
	sum, count float64
}

func readHistogram(path, metric, match string) (histogram, error) {
	f, err := os.Open(path)
	if err != nil {
		return histogram{}, err
	}
	defer f.Close()
	return parseHistogram(f, metric, match)
}

func parseHistogram(r io.Reader, metric, match string) (histogram, error) {
	h := histogram{buckets: map[float64]float64{}}
	sc := bufio.NewScanner(r)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, metric+"_") || !strings.Contains(line, match) {
			continue
		}
		name, rest, ok := strings.Cut(line, "{")
		labels := ""
		if ok {
			labels, rest, ok = strings.Cut(rest, "}")
			if !ok {
				continue
			}
		} else {
			name, rest, _ = strings.Cut(line, " ")
		}
		fields := strings.Fields(rest)
		if len(fields) == 0 {
			continue
		}
		v, err := strconv.ParseFloat(fields[0], 64)
		if err != nil {
			return h, fmt.Errorf("%q: %w", line, err)
		}
		switch name {
		case metric + "_bucket":
			le, ok := labelValue(labels, "le")
			if !ok {
				return h, fmt.Errorf("bucket without le: %q", line)
			}
			ub, err := strconv.ParseFloat(le, 64)
			if err != nil {
				return h, fmt.Errorf("%q: %w", line, err)
			}
			h.buckets[ub] += v
		case metric + "_sum":
			h.sum += v
		case metric + "_count":
			h.count += v
		}
	}
	if err := sc.Err(); err != nil {
		return h, err
	}
	if len(h.buckets) == 0 {
		return h, fmt.Errorf("no %s_bucket series matching %q", metric, match)
	}
	return h, nil
}

func labelValue(labels, name string) (string, bool) {
	for l := range strings.SplitSeq(labels, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(l), "=")
		if ok && k == name {
			return strings.Trim(v, `"`), true
		}
	}
	return "", false
}

func (h histogram) minus(o histogram) histogram {
	d := histogram{buckets: map[float64]float64{}, sum: h.sum - o.sum, count: h.count - o.count}
	for ub, v := range h.buckets {
		d.buckets[ub] = v - o.buckets[ub]
	}
	return d
}

func (h histogram) mean() float64 {
	if h.count == 0 {
		return math.NaN()
	}
	return h.sum / h.count
}

// quantile follows Prometheus' histogram_quantile: find the bucket holding
// rank q·count and interpolate linearly inside it (from 0 for the first
// bucket); a rank in the +Inf bucket gives the largest finite bound.
func (h histogram) quantile(q float64) float64 {
	ubs := make([]float64, 0, len(h.buckets))
	for ub := range h.buckets {
		ubs = append(ubs, ub)
	}
	sort.Float64s(ubs)
	total := h.buckets[math.Inf(1)]
	if total == 0 {
		return math.NaN()
	}
	rank := q * total
	lower, below := 0.0, 0.0
	for _, ub := range ubs {
		c := h.buckets[ub]
		if c >= rank {
			if math.IsInf(ub, 1) {
				return lower
			}
			if c == below {
				return ub
			}
			return lower + (ub-lower)*(rank-below)/(c-below)
		}
		lower, below = ub, c
	}
	return lower
}
