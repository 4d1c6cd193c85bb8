package loadgen

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/activityapp/event-processor/shared/events"
)

// Sub-mixes within a category, in percent: most events create, some change,
// few end an aggregate, so the population grows during a run.
const (
	userCreatedPct       = 60 // then 30 % UserUpdated, 10 % UserDeleted
	userUpdatedPct       = 30
	activityCreatedPct   = 60 // then 30 % ActivityUpdated, 10 % ActivityCancelled
	activityUpdatedPct   = 30
	participantJoinedPct = 75 // then 25 % ParticipantLeft
)

// contentStream is the second PCG word of the content generator; the id
// generator uses the run id instead (ids.go).
const contentStream = 0x6c6f616467656e // "loadgen"

// ErrInvalidWorldConfig is wrapped by WorldConfig.Validate errors.
var ErrInvalidWorldConfig = errors.New("invalid world config")

// WorldConfig configures a World.
type WorldConfig struct {
	// Seed makes the generated events reproducible.
	Seed uint64
	// Mix is the category mix; the zero Mix means DefaultMix.
	Mix Mix
	// RunID seeds the ids together with Seed, so runs with one seed but
	// different run ids produce the same events under different ids.
	RunID string
	// Epoch is "now" for the world: activities start 1 to 60 days after it.
	// Zero means time.Now().
	Epoch time.Time
}

func (c *WorldConfig) setDefaults() {
	if c.Mix == (Mix{}) {
		c.Mix = DefaultMix()
	}
	if c.Epoch.IsZero() {
		c.Epoch = time.Now()
	}
}

// Validate checks the configuration (after defaults).
func (c WorldConfig) Validate() error {
	if err := c.Mix.Validate(); err != nil {
		return fmt.Errorf("%w: Mix: %w", ErrInvalidWorldConfig, err)
	}
	if c.RunID == "" {
		return fmt.Errorf("%w: RunID is empty", ErrInvalidWorldConfig)
	}
	return nil
}

// World generates a realistic, referentially consistent event stream: it
// knows which users and activities exist, their versions and the
// participants, and only references what exists at generation time. It is
// not safe for concurrent use; the Loader calls it from one goroutine.
type World struct {
	cfg    WorldConfig
	rng    *rand.Rand
	ids    idSource
	values valueGen
	seq    int
	serial int // makes emails and usernames unique in the run

	liveUsers []*user     // created, not deleted
	scheduled []*activity // created, not cancelled
}

type user struct {
	id        string
	createSeq int
	version   int64
	fullName  string
	email     string
	username  string
	city      string
	livePos   int // index in World.liveUsers, -1 once deleted
	// refs are the Seqs of other aggregates' events that referenced the
	// user; its deletion waits for them.
	refs []int
}

type activity struct {
	id              string
	version         int64
	city            string
	title           string
	description     string
	category        string
	location        string
	startsAt        time.Time
	maxParticipants int
	participants    []*user
	participantPos  map[*user]int
	livePos         int // index in World.scheduled, -1 once cancelled
}

// NewWorld returns an empty world: no users, no activities.
func NewWorld(cfg WorldConfig) (*World, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(cfg.Seed, contentStream))
	return &World{
		cfg:    cfg,
		rng:    rng,
		ids:    newIDSource(cfg.Seed, cfg.RunID),
		values: valueGen{rng: rng},
	}, nil
}

// Next generates the next event: a category by the Mix, an event type by the
// category's sub-mix, and, when the world lacks what that event needs, the
// event that creates it (a join without a joinable activity becomes
// ActivityCreated, which without a user becomes UserCreated).
func (w *World) Next() Event {
	roll := w.rng.IntN(100)
	switch w.cfg.Mix.pick(w.rng.IntN(100)) {
	case CategoryUser:
		switch {
		case roll < userCreatedPct:
			return w.generate(events.UserCreated)
		case roll < userCreatedPct+userUpdatedPct:
			return w.generate(events.UserUpdated)
		default:
			return w.generate(events.UserDeleted)
		}
	case CategoryActivity:
		switch {
		case roll < activityCreatedPct:
			return w.generate(events.ActivityCreated)
		case roll < activityCreatedPct+activityUpdatedPct:
			return w.generate(events.ActivityUpdated)
		default:
			return w.generate(events.ActivityCancelled)
		}
	default:
		if roll < participantJoinedPct {
			return w.generate(events.ParticipantJoined)
		}
		return w.generate(events.ParticipantLeft)
	}
}

// generate makes an event of eventType, or of the type that creates its
// missing precondition.
func (w *World) generate(eventType string) Event {
	switch eventType {
	case events.UserUpdated, events.UserDeleted:
		u := w.randomLiveUser()
		if u == nil {
			return w.createUser()
		}
		if eventType == events.UserUpdated {
			return w.updateUser(u)
		}
		return w.deleteUser(u)
	case events.ActivityCreated:
		creator := w.randomLiveUser()
		if creator == nil {
			return w.createUser()
		}
		return w.createActivity(creator)
	case events.ActivityUpdated, events.ActivityCancelled:
		a := w.randomScheduled()
		if a == nil {
			return w.generate(events.ActivityCreated)
		}
		if eventType == events.ActivityUpdated {
			return w.updateActivity(a)
		}
		return w.cancelActivity(a)
	case events.ParticipantJoined:
		a := w.randomJoinable()
		if a == nil {
			return w.generate(events.ActivityCreated)
		}
		u := w.randomNonParticipant(a)
		if u == nil {
			return w.createUser()
		}
		return w.join(a, u)
	case events.ParticipantLeft:
		a, u := w.randomLeaver()
		if a == nil {
			return w.generate(events.ParticipantJoined)
		}
		return w.leave(a, u)
	default:
		return w.createUser()
	}
}

// emit numbers an event and gives it its ids.
func (w *World) emit(aggregateType, aggregateID string, version int64, eventType string, payload events.Payload, dependsOn []int) Event {
	ev := Event{
		Seq:           w.seq,
		EventID:       w.ids.next(),
		AggregateID:   aggregateID,
		AggregateType: aggregateType,
		Version:       version,
		EventType:     eventType,
		CorrelationID: w.ids.next(),
		Payload:       payload,
		DependsOn:     dependsOn,
	}
	w.seq++
	return ev
}

// pickFields chooses 1 to 3 of n fields in random order, for updates.
func (w *World) pickFields(n int) []int {
	return w.rng.Perm(n)[:1+w.rng.IntN(3)]
}
