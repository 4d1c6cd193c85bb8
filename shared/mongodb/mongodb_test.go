package mongodb_test

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/event"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/writeconcern"

	"github.com/activityapp/event-processor/shared/mongodb"
	"github.com/activityapp/event-processor/testkit/mongotest"
)

func TestMain(m *testing.M) { os.Exit(mongotest.Main(m)) }

func TestParseWriteConcern(t *testing.T) {
	journaled := func(w any) *writeconcern.WriteConcern {
		j := true
		return &writeconcern.WriteConcern{W: w, Journal: &j}
	}
	for in, want := range map[string]*writeconcern.WriteConcern{
		"":         nil,
		"majority": journaled("majority"),
		"1":        journaled(1),
		"3":        journaled(3),
	} {
		got, err := mongodb.ParseWriteConcern(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, got, in)
	}
	for _, in := range []string{"0", "-1", "all", "Majority", " 1"} {
		_, err := mongodb.ParseWriteConcern(in)
		assert.ErrorIs(t, err, mongodb.ErrInvalidWriteConcern, in)
	}
}

// TestWriteConcernSent: the write concern each insert carries (majority
// and journaled unless the setting or the URI says otherwise), and that the
// server accepts it.
func TestWriteConcernSent(t *testing.T) {
	uri := mongotest.URI(t)
	tests := []struct {
		name, uri, setting string
		want               bson.D
	}{
		{"default", uri, "", bson.D{{Key: "w", Value: "majority"}, {Key: "j", Value: true}}},
		{"setting", uri, "1", bson.D{{Key: "w", Value: int32(1)}, {Key: "j", Value: true}}},
		{"uri", uri + "?w=1", "", bson.D{{Key: "w", Value: int32(1)}}},
		{"setting over uri", uri + "?w=1", "majority", bson.D{{Key: "w", Value: "majority"}, {Key: "j", Value: true}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			var (
				mu   sync.Mutex
				sent bson.Raw
			)
			opts := mongodb.ClientOptions(mongodb.Config{
				URI: tt.uri, Database: mongotest.Database(t).Name(), WriteConcern: tt.setting,
			}).SetMonitor(&event.CommandMonitor{Started: func(_ context.Context, e *event.CommandStartedEvent) {
				if e.CommandName == "insert" {
					mu.Lock()
					sent = e.Command.Lookup("writeConcern").Document()
					mu.Unlock()
				}
			}})
			client, err := mongo.Connect(opts)
			require.NoError(t, err)
			t.Cleanup(func() { _ = client.Disconnect(ctx) })

			_, err = client.Database(mongotest.Database(t).Name()).Collection("c").
				InsertOne(ctx, bson.D{{Key: "_id", Value: tt.name}})
			require.NoError(t, err, "the server accepts the write concern")

			mu.Lock()
			defer mu.Unlock()
			var got bson.D
			require.NoError(t, bson.Unmarshal(sent, &got))
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestConnectRefusesAnInvalidWriteConcern(t *testing.T) {
	_, _, err := mongodb.Connect(context.Background(), mongodb.Config{
		URI: "mongodb://localhost", Database: "d", WriteConcern: "0",
	}, slog.New(slog.DiscardHandler))
	assert.True(t, errors.Is(err, mongodb.ErrInvalidWriteConcern), "err = %v", err)
}
