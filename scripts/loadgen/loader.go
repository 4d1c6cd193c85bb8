package loadgen

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// ErrAlreadyRun is returned by a second Run of one Loader: its events (and
// their ids) are those of the first run.
var ErrAlreadyRun = errors.New("loadgen: a Loader runs only once")

// Loader writes one run of generated events into activity.event_outbox.
type Loader struct {
	cfg      Config
	pool     *pgxpool.Pool
	ownsPool bool
	ran      atomic.Bool
}

// New validates cfg and prepares the pool: Config.Pool as given, or a new
// pool for Config.PostgresURL with one connection per worker (connecting
// lazily: Run reports an unreachable database).
func New(cfg Config) (*Loader, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	l := &Loader{cfg: cfg, pool: cfg.Pool}
	if l.pool != nil {
		return l, nil
	}
	poolCfg, err := pgxpool.ParseConfig(cfg.PostgresURL)
	if err != nil {
		return nil, fmt.Errorf("%w: -postgres (PostgresURL): %w", ErrInvalidConfig, err)
	}
	poolCfg.MaxConns = int32(min(cfg.Workers, math.MaxInt32))
	pool, err := pgxpool.NewWithConfig(context.Background(), poolCfg)
	if err != nil {
		return nil, fmt.Errorf("loadgen: %w", err)
	}
	l.pool, l.ownsPool = pool, true
	return l, nil
}

// Run writes the planned events and returns what was committed. A failed
// connection or insert stops the run: the error names the event, and the
// Result still lists every event committed before. Cancelling ctx stops
// the run cleanly: transactions in flight finish, and Run returns them with
// Result.Interrupted and no error.
func (l *Loader) Run(ctx context.Context) (Result, error) {
	if !l.ran.CompareAndSwap(false, true) {
		return Result{}, ErrAlreadyRun
	}
	res := Result{
		RunID:   l.cfg.RunID,
		Seed:    l.cfg.Seed,
		Mix:     l.cfg.Mix,
		Mode:    l.cfg.mode(),
		Workers: l.cfg.Workers,
		Started: time.Now(),
		Planned: l.cfg.planned(),
	}
	if res.Mode == ModeRate {
		res.TargetRate, res.Duration = l.cfg.Rate, l.cfg.Duration
	}
	if err := l.pool.Ping(ctx); err != nil {
		res.Finished = time.Now()
		if ctx.Err() != nil {
			res.Interrupted = true
			return res, nil
		}
		conf := l.pool.Config().ConnConfig
		return res, fmt.Errorf("loadgen: connecting to PostgreSQL at %s:%d/%s: %w", conf.Host, conf.Port, conf.Database, err)
	}
	// The run, and a rate-mode schedule, start once the database answers.
	started := time.Now()
	res.Started = started
	world, err := NewWorld(WorldConfig{Seed: l.cfg.Seed, Mix: l.cfg.Mix, RunID: l.cfg.RunID, Epoch: started})
	if err != nil {
		return res, err
	}
	r := &run{
		cfg:       l.cfg,
		started:   started,
		world:     world,
		writer:    writer{pool: l.pool, runID: l.cfg.RunID},
		tracker:   newCommitTracker(),
		collector: newCollector(),
	}
	if res.Mode == ModeRate {
		r.pacer = newPacer(l.cfg.Rate, l.cfg.Duration)
	}
	return r.execute(ctx, res)
}

// Close closes the pool if the Loader opened it; a Config.Pool stays open.
func (l *Loader) Close() {
	if l.ownsPool {
		l.pool.Close()
	}
}
