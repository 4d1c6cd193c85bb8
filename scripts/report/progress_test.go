package report_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/activityapp/event-processor/scripts/report"
	"github.com/activityapp/event-processor/testkit/kafkatest"
)

func TestTrackerSamplesGroupsAndPoisonTopics(t *testing.T) {
	t.Parallel()
	cluster := kafkatest.Start(t, 2, "outbox", "svc.poison")
	for i := range 10 {
		cluster.Produce(t, "outbox", []byte{byte(i)}, []byte("v"), nil)
	}
	cluster.Produce(t, "svc.poison", []byte("k"), []byte("bad"), nil)

	// group "svc" committed 3 records of partition 0 and none of 1.
	cl, err := kgo.NewClient(kgo.SeedBrokers(cluster.Brokers()...))
	require.NoError(t, err)
	defer cl.Close()
	adm := kadm.NewClient(cl)
	ends, err := adm.ListEndOffsets(t.Context(), "outbox")
	require.NoError(t, err)
	end0, _ := ends.Lookup("outbox", 0)
	end1, _ := ends.Lookup("outbox", 1)
	require.Equal(t, int64(10), end0.Offset+end1.Offset)
	require.Greater(t, end0.Offset, int64(3), "the keys spread over both partitions")
	var commit kadm.Offsets
	commit.Add(kadm.Offset{Topic: "outbox", Partition: 0, At: 3, LeaderEpoch: -1})
	_, err = adm.CommitOffsets(t.Context(), "svc", commit)
	require.NoError(t, err)

	tr, err := report.NewTracker(cluster.Brokers(),
		[]report.Consumer{{Group: "svc", Topic: "outbox"}, {Group: "idle", Topic: "outbox"}},
		[]string{"svc.poison", "never.poison"})
	require.NoError(t, err)
	defer tr.Close()
	s, err := tr.Sample(t.Context())
	require.NoError(t, err)
	assert.Equal(t, report.Position{Committed: 3, End: 10, Lag: 7}, s.Consumers["svc"])
	assert.Equal(t, report.Position{Committed: 0, End: 10, Lag: 10}, s.Consumers["idle"])
	assert.Equal(t, map[string]int64{"svc.poison": 1, "never.poison": 0}, s.Poisoned, "a poison topic that does not exist yet holds nothing")
	assert.False(t, s.CaughtUp())

	for _, group := range []string{"svc", "idle"} {
		var all kadm.Offsets
		all.Add(kadm.Offset{Topic: "outbox", Partition: 0, At: end0.Offset, LeaderEpoch: -1})
		all.Add(kadm.Offset{Topic: "outbox", Partition: 1, At: end1.Offset, LeaderEpoch: -1})
		_, err = adm.CommitOffsets(t.Context(), group, all)
		require.NoError(t, err)
	}
	s, err = tr.Sample(t.Context())
	require.NoError(t, err)
	assert.True(t, s.CaughtUp())
	assert.Equal(t, report.Position{Committed: 10, End: 10}, s.Consumers["svc"])
}
