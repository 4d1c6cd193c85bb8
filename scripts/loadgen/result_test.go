package loadgen

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestResultFellBehind(t *testing.T) {
	t.Parallel()
	rate := Result{Mode: ModeRate, Planned: 3, TargetRate: 10, Duration: 300 * time.Millisecond, Events: make([]Committed, 3)}
	assert.False(t, rate.FellBehind(), "all written, on time")

	late := rate
	late.MaxLag = 2 * time.Second
	assert.True(t, late.FellBehind(), "written, but more than a second late")

	short := rate
	short.Events = short.Events[:2]
	assert.True(t, short.FellBehind())
	assert.Equal(t, 1, short.Missing())

	interrupted := short
	interrupted.Interrupted = true
	assert.False(t, interrupted.FellBehind(), "an interrupted run is short by choice")

	count := Result{Mode: ModeCount, Planned: 3, Events: make([]Committed, 1)}
	assert.False(t, count.FellBehind(), "count mode has no schedule")
}

func TestResultSummary(t *testing.T) {
	t.Parallel()
	start := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	res := Result{
		RunID: "r1", Seed: 7, Mix: DefaultMix(), Mode: ModeRate, Workers: 4,
		Started: start, Finished: start.Add(2 * time.Second),
		Events:       make([]Committed, 150),
		ByType:       map[string]int{"UserCreated": 100, "ParticipantJoined": 50},
		ByCategory:   map[string]int{CategoryUser: 100, CategoryParticipant: 50},
		Planned:      200,
		TargetRate:   100,
		Duration:     2 * time.Second,
		AchievedRate: 75,
		MaxLag:       1500 * time.Millisecond,
	}
	s := res.Summary()
	assert.Contains(t, s, "run r1 (seed 7, mix user=40,activity=30,participant=30, 4 workers)")
	assert.Contains(t, s, "wrote 150 of 200 events in 2s, 75 events/s on average")
	assert.Contains(t, s, "the database did not keep up (50 of 200 planned events not written, up to 1.5s behind schedule)")
	assert.Regexp(t, `user +100\n +UserCreated +100\n`, s)
	assert.Regexp(t, `activity +0\n +participant +50\n +ParticipantJoined +50\n`, s)
	assert.NotContains(t, s, "UserDeleted", "types that did not occur are left out")
}
