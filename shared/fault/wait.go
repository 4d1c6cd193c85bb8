package fault

import (
	"context"
	"errors"
	"time"

	"github.com/cenkalti/backoff/v5"
)

// maxWaitInterval caps the pause between two tries of WaitFor.
const maxWaitInterval = 5 * time.Second

// WaitFor tries op until it succeeds or ctx ends, pausing between tries
// from initial, doubling up to 5 s, with jitter: how a projector waits for
// a dependency that is not up yet (MongoDB, Kafka) instead of crash-looping.
// notify, if not nil, hears of each failure and the pause before the next
// try. When ctx ends first, the error joins ctx's and op's last.
func WaitFor[T any](ctx context.Context, initial time.Duration, notify func(err error, next time.Duration), op func() (T, error)) (T, error) {
	b := backoff.NewExponentialBackOff()
	b.InitialInterval = initial
	b.Multiplier = 2
	b.MaxInterval = maxWaitInterval
	opts := []backoff.RetryOption{backoff.WithBackOff(b), backoff.WithMaxElapsedTime(0)}
	if notify != nil {
		opts = append(opts, backoff.WithNotify(notify))
	}
	var last error
	res, err := backoff.Retry(ctx, func() (T, error) {
		res, err := op()
		last = err
		return res, err
	}, opts...)
	if err != nil && ctx.Err() != nil {
		return res, errors.Join(ctx.Err(), last)
	}
	return res, err
}
