package report

import (
	"math"
	"time"
)

// Rate is a throughput in events per second.
type Rate struct {
	// Average is the events over the whole span.
	Average float64 `json:"average_per_s"`
	// Peak is the busiest one-second bucket.
	Peak float64 `json:"peak_per_s"`
}

// Series is a count per one-second bucket since a start time: bucket i
// counts what happened in [start+i s, start+(i+1) s).
type Series []float64

// Rate is the series' average over span and its peak bucket.
func (s Series) Rate(total float64, span time.Duration) Rate {
	r := Rate{}
	if span > 0 {
		r.Average = total / span.Seconds()
	}
	for _, v := range s {
		r.Peak = max(r.Peak, v)
	}
	// A run shorter than a second never fills a bucket: its peak is at
	// least its average.
	r.Peak = max(r.Peak, r.Average)
	return r
}

// Bucket counts times per second since start (times before start count in
// the first bucket).
func Bucket(start time.Time, times []time.Time) Series {
	var s Series
	for _, t := range times {
		i := max(int(t.Sub(start)/time.Second), 0)
		for len(s) <= i {
			s = append(s, 0)
		}
		s[i]++
	}
	return s
}

// Consumed is, per one-second bucket since start, how many records group
// committed, from samples in time order. Committed offsets are linearly
// interpolated between samples at each second boundary, so the series does
// not depend on when the samples happened to be taken.
func Consumed(start time.Time, samples []Sample, group string) Series {
	if len(samples) == 0 {
		return nil
	}
	at := func(t time.Time) float64 { return interpolate(samples, group, t) }
	end := samples[len(samples)-1].At
	n := int(math.Ceil(end.Sub(start).Seconds()))
	s := make(Series, 0, max(n, 0))
	for i := range n {
		from := start.Add(time.Duration(i) * time.Second)
		s = append(s, at(from.Add(time.Second))-at(from))
	}
	return s
}

// interpolate is group's committed count at t: clamped to the first and
// last samples outside their span.
func interpolate(samples []Sample, group string, t time.Time) float64 {
	committed := func(i int) float64 { return float64(samples[i].Consumers[group].Committed) }
	if !t.After(samples[0].At) {
		return committed(0)
	}
	for i := 1; i < len(samples); i++ {
		if t.After(samples[i].At) {
			continue
		}
		a, b := samples[i-1], samples[i]
		span := b.At.Sub(a.At)
		if span <= 0 {
			return committed(i)
		}
		f := float64(t.Sub(a.At)) / float64(span)
		return committed(i-1) + f*(committed(i)-committed(i-1))
	}
	return committed(len(samples) - 1)
}
