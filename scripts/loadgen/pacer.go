package loadgen

import (
	"math"
	"time"
)

// pacer spreads a rate-mode run evenly: event i (from 0) is due at i/rate
// seconds after the start. It is pure arithmetic, so the schedule is tested
// without a clock.
type pacer struct {
	rate  float64
	total int
}

func newPacer(rate float64, d time.Duration) pacer {
	return pacer{rate: rate, total: plannedEvents(rate, d)}
}

// plannedEvents is how many events rate per second for d schedules: those
// due before d ends. The epsilon keeps 100/s × 10 s at 1,000 despite
// floating-point error.
func plannedEvents(rate float64, d time.Duration) int {
	return int(math.Floor(rate*d.Seconds() + 1e-9))
}

// at is when event i is due, as an offset from the start; rounded up to the
// nanosecond so that due(at(i)) counts event i.
func (p pacer) at(i int) time.Duration {
	return time.Duration(math.Ceil(float64(i) / p.rate * float64(time.Second)))
}

// due is how many events are due by elapsed (at most total): those with
// at(i) <= elapsed. The float estimate is corrected against at, so the two
// never disagree at a boundary.
func (p pacer) due(elapsed time.Duration) int {
	if elapsed < 0 {
		return 0
	}
	last := int(math.Floor(elapsed.Seconds() * p.rate)) // estimate of the last due index
	for last >= 0 && p.at(last) > elapsed {
		last--
	}
	for p.at(last+1) <= elapsed {
		last++
	}
	return min(p.total, last+1)
}
