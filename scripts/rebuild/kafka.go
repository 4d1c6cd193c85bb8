package rebuild

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"

	"github.com/activityapp/event-processor/scripts/report"
)

// ErrGroupActive is returned by Switch while a group still has members.
var ErrGroupActive = errors.New("rebuild: consumer group still has members")

// WaitCaughtUp waits until the groups (group → topic) together are at most
// maxLag records behind their topics, reporting the total lag every poll
// through progress (may be nil). Under a steady load the lag of committed
// offsets is seldom 0: the rebuild waits until it is close, stops the live
// projector, then waits with WaitPast.
func WaitCaughtUp(ctx context.Context, brokers []string, groups map[string]string, maxLag int64, poll time.Duration, progress func(lag int64)) error {
	var consumers []report.Consumer
	for g, topic := range groups {
		consumers = append(consumers, report.Consumer{Group: g, Topic: topic})
	}
	tracker, err := report.NewTracker(brokers, consumers, nil)
	if err != nil {
		return err
	}
	defer tracker.Close()
	for {
		s, err := tracker.Sample(ctx)
		missing := errors.Is(err, kerr.UnknownTopicOrPartition) // a topic the rebuild instance creates at its start
		if err != nil && !missing {
			return err
		}
		var total int64
		for _, p := range s.Consumers {
			total += p.Lag
		}
		if progress != nil && !missing {
			progress(total)
		}
		if total <= maxLag && !missing {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("rebuild: %d records still to handle: %w", total, ctx.Err())
		case <-time.After(poll):
		}
	}
}

// requireInactive fails when a group has members: its offsets cannot be
// moved, and it would write on.
func requireInactive(ctx context.Context, adm *kadm.Client, groups ...string) error {
	described, err := adm.DescribeGroups(ctx, groups...)
	if err != nil {
		return fmt.Errorf("rebuild: describe groups %v: %w", groups, err)
	}
	for _, g := range groups {
		if d, ok := described[g]; ok && len(d.Members) > 0 {
			return fmt.Errorf("%w: %s (%d members): stop it first", ErrGroupActive, g, len(d.Members))
		}
	}
	return nil
}

// copyOffsets commits from's offsets of topic as to's.
func copyOffsets(ctx context.Context, adm *kadm.Client, from, to, topic string) error {
	committed, err := adm.FetchOffsets(ctx, from)
	if err != nil {
		return fmt.Errorf("rebuild: offsets of %s: %w", from, err)
	}
	offsets := kadm.Offsets{}
	committed.Each(func(o kadm.OffsetResponse) {
		if o.Topic == topic && o.At >= 0 {
			offsets.AddOffset(o.Topic, o.Partition, o.At, -1)
		}
	})
	if len(offsets) == 0 {
		return fmt.Errorf("rebuild: group %s has no offsets of %s", from, topic)
	}
	resp, err := adm.CommitOffsets(ctx, to, offsets)
	if err == nil {
		err = resp.Error()
	}
	if err != nil {
		return fmt.Errorf("rebuild: commit %s's offsets of %s to %s: %w", from, topic, to, err)
	}
	return nil
}

// WaitPast waits until group has committed, on every partition of topic,
// at least what target (a stopped group) has: everything the live
// projector had applied, the rebuild has too.
func WaitPast(ctx context.Context, adm *kadm.Client, group, target, topic string, poll time.Duration) error {
	for {
		want, err := committedOffsets(ctx, adm, target, topic)
		if err != nil {
			return err
		}
		have, err := committedOffsets(ctx, adm, group, topic)
		if err != nil {
			return err
		}
		behind := 0
		for p, off := range want {
			if have[p] < off {
				behind++
			}
		}
		if behind == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("rebuild: %s is behind %s on %d partitions of %s: %w", group, target, behind, topic, ctx.Err())
		case <-time.After(poll):
		}
	}
}

// committedOffsets are group's committed offsets of topic, by partition.
func committedOffsets(ctx context.Context, adm *kadm.Client, group, topic string) (map[int32]int64, error) {
	committed, err := adm.FetchOffsets(ctx, group)
	if errors.Is(err, kerr.GroupIDNotFound) {
		return map[int32]int64{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("rebuild: offsets of group %s: %w", group, err)
	}
	out := map[int32]int64{}
	committed.Each(func(o kadm.OffsetResponse) {
		if o.Topic == topic && o.At >= 0 {
			out[o.Partition] = o.At
		}
	})
	return out, nil
}
