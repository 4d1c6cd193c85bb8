package kafka_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/activityapp/event-processor/shared/kafka"
)

// publisherFunc is a message.Publisher made of a function.
type publisherFunc func(topic string, msgs ...*message.Message) error

func (f publisherFunc) Publish(topic string, msgs ...*message.Message) error {
	return f(topic, msgs...)
}
func (f publisherFunc) Close() error { return nil }

func TestPublishContextEndsWithItsContext(t *testing.T) {
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	hanging := publisherFunc(func(string, ...*message.Message) error { <-release; return nil })

	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	began := time.Now()
	err := kafka.PublishContext(ctx, hanging, "t", message.NewMessage("1", []byte("x")))
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Less(t, time.Since(began), 2*time.Second, "returned when the context ended")
}

func TestPublishContextPublishesCopies(t *testing.T) {
	var got []*message.Message
	pub := publisherFunc(func(topic string, msgs ...*message.Message) error {
		assert.Equal(t, "t", topic)
		got = msgs
		return nil
	})
	orig := message.NewMessage("1", []byte("x"))
	orig.Metadata.Set("k", "v")
	require.NoError(t, kafka.PublishContext(t.Context(), pub, "t", orig))
	require.Len(t, got, 1)
	assert.NotSame(t, orig, got[0])
	assert.Equal(t, "1", got[0].UUID)
	assert.Equal(t, []byte("x"), []byte(got[0].Payload))
	assert.Equal(t, "v", got[0].Metadata.Get("k"))

	failing := publisherFunc(func(string, ...*message.Message) error { return errors.New("broker down") })
	assert.EqualError(t, kafka.PublishContext(t.Context(), failing, "t", orig), "broker down")
}
