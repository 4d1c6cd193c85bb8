package loadgen

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestPlannedEvents(t *testing.T) {
	t.Parallel()
	assert.Equal(t, 1000, plannedEvents(100, 10*time.Second))
	assert.Equal(t, 3, plannedEvents(0.1, 30*time.Second), "0.1/s for 30 s is 3 events, despite rounding")
	assert.Equal(t, 1, plannedEvents(2.5, 500*time.Millisecond))
	assert.Equal(t, 0, plannedEvents(1, 999*time.Millisecond))
}

func TestPacerSpreadsEventsEvenly(t *testing.T) {
	t.Parallel()
	p := newPacer(100, 10*time.Second)
	assert.Equal(t, time.Duration(0), p.at(0), "the first event is due at the start")
	assert.Equal(t, 10*time.Millisecond, p.at(1))
	assert.Equal(t, 9990*time.Millisecond, p.at(999), "the last one before the end")

	assert.Equal(t, 0, p.due(-time.Millisecond))
	assert.Equal(t, 1, p.due(0))
	assert.Equal(t, 1, p.due(9*time.Millisecond))
	assert.Equal(t, 2, p.due(10*time.Millisecond))
	assert.Equal(t, 501, p.due(5*time.Second))
	assert.Equal(t, 1000, p.due(10*time.Second))
	assert.Equal(t, 1000, p.due(time.Hour), "never more than planned")
}

// at and due agree for awkward rates: event i is due exactly from at(i).
func TestPacerAtAndDueAgree(t *testing.T) {
	t.Parallel()
	for _, rate := range []float64{1, 3, 7.5, 333, 1000, 12345.6} {
		p := newPacer(rate, 2*time.Second)
		for i := range p.total {
			if got := p.due(p.at(i)); got != i+1 {
				t.Fatalf("rate %g: due(at(%d)) = %d, want %d", rate, i, got, i+1)
			}
			if i > 0 {
				if got := p.due(p.at(i) - time.Nanosecond); got != i {
					t.Fatalf("rate %g: due just before at(%d) = %d, want %d", rate, i, got, i)
				}
			}
		}
	}
}
