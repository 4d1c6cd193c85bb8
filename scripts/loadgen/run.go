package loadgen

import (
	"context"
	"hash/fnv"
	"sync"
	"time"
)

// queueDepth is how many events may wait for each worker: enough to keep a
// worker busy, small enough that rate-mode lag shows.
const queueDepth = 64

// job is an event on its way to a worker.
type job struct {
	ev  Event
	due time.Time // rate mode: when the event was scheduled
}

// run is the state of one Loader.Run: one goroutine generates and
// dispatches events, Config.Workers goroutines write them.
type run struct {
	cfg       Config
	started   time.Time
	world     *World
	pacer     pacer
	writer    writer
	tracker   *commitTracker
	collector *collector

	stop     context.CancelFunc
	failOnce sync.Once
	err      error
}

func (r *run) execute(ctx context.Context, res Result) (Result, error) {
	workCtx, stop := context.WithCancel(ctx)
	defer stop()
	r.stop = stop

	queues := make([]chan job, r.cfg.Workers)
	var workers sync.WaitGroup
	for i := range queues {
		queues[i] = make(chan job, queueDepth)
		workers.Go(func() { r.work(workCtx, queues[i]) })
	}
	stopProgress := r.showProgress()

	dispatched, complete := r.dispatch(workCtx, queues)
	for _, q := range queues {
		close(q)
	}
	workers.Wait()

	res.Finished = time.Now()
	stopProgress(res.Finished)
	r.collector.fill(&res)
	if elapsed := res.Elapsed().Seconds(); elapsed > 0 {
		res.AchievedRate = float64(len(res.Events)) / elapsed
	}
	if r.err != nil {
		return res, r.err
	}
	res.Interrupted = ctx.Err() != nil && (!complete || len(res.Events) < dispatched)
	return res, nil
}

// dispatch generates the events in order and hands each to the worker that
// owns its aggregate. In rate mode it waits for each event's time; if the
// database is so slow that the dispatch is still blocked lagTolerance after
// Duration, it stops there and leaves the rest of the plan unwritten (the
// Result reports them missing). It returns how many events it dispatched
// and whether it got through (false when ctx ended it).
func (r *run) dispatch(ctx context.Context, queues []chan job) (int, bool) {
	rateMode := r.cfg.mode() == ModeRate
	var deadline <-chan time.Time
	pace := time.NewTimer(0)
	defer pace.Stop()
	if rateMode {
		end := time.NewTimer(time.Until(r.started.Add(r.cfg.Duration + lagTolerance)))
		defer end.Stop()
		deadline = end.C
	}
	for i := range r.cfg.planned() {
		var due time.Time
		if rateMode {
			// at(i) < Duration, so this wait never passes the deadline.
			due = r.started.Add(r.pacer.at(i))
			if wait := time.Until(due); wait > 0 {
				pace.Reset(wait)
				select {
				case <-pace.C:
				case <-ctx.Done():
					return i, false
				}
			}
		}
		ev := r.world.Next()
		r.tracker.register(ev.Seq)
		select {
		case queues[shard(ev.AggregateID, len(queues))] <- job{ev: ev, due: due}:
		case <-ctx.Done():
			return i, false
		case <-deadline:
			return i, true
		}
	}
	return r.cfg.planned(), true
}

// work writes its queue's events in order, each after its dependencies.
func (r *run) work(ctx context.Context, queue <-chan job) {
	for j := range queue {
		if ctx.Err() != nil {
			return
		}
		if err := r.tracker.wait(ctx, j.ev.DependsOn); err != nil {
			return
		}
		committedAt, err := r.writer.write(ctx, j.ev)
		if err != nil {
			r.fail(err)
			return
		}
		c := Committed{
			EventID:       j.ev.EventID,
			AggregateID:   j.ev.AggregateID,
			AggregateType: j.ev.AggregateType,
			EventType:     j.ev.EventType,
			CorrelationID: j.ev.CorrelationID,
			Version:       j.ev.Version,
			CommittedAt:   committedAt,
		}
		r.collector.add(c, j.due)
		r.tracker.committed(j.ev.Seq)
		if r.cfg.OnCommit != nil {
			r.cfg.OnCommit(c)
		}
	}
}

// fail keeps the first error and stops the run.
func (r *run) fail(err error) {
	r.failOnce.Do(func() {
		r.err = err
		r.stop()
	})
}

// showProgress starts the progress display, if configured, and returns the
// function that draws its final line.
func (r *run) showProgress() func(finished time.Time) {
	if r.cfg.Progress == nil {
		return func(time.Time) {}
	}
	p := newProgress(r.cfg.Progress, r.cfg, r.started)
	done := make(chan struct{})
	ticking := make(chan struct{})
	go func() {
		defer close(ticking)
		ticker := time.NewTicker(p.interval())
		defer ticker.Stop()
		for {
			select {
			case now := <-ticker.C:
				p.update(now, int(r.collector.count.Load()))
			case <-done:
				return
			}
		}
	}()
	return func(finished time.Time) {
		close(done)
		<-ticking
		p.finish(finished, int(r.collector.count.Load()))
	}
}

// shard maps an aggregate onto a worker, so its events are written in
// order by one goroutine.
func shard(aggregateID string, workers int) int {
	h := fnv.New32a()
	_, _ = h.Write([]byte(aggregateID))
	return int(h.Sum32() % uint32(workers))
}
