package debezium

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/activityapp/event-processor/shared/fault"
	"github.com/activityapp/event-processor/shared/kafka"
)

// FuzzDecode checks that Decode never panics, that every error keeps the
// contract (permanent, ErrMalformed, a *DecodeError), and that every event
// it returns satisfies the invariants handlers rely on.
func FuzzDecode(f *testing.F) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.json"))
	if err != nil {
		f.Fatal(err)
	}
	files = append(files, filepath.Join("testdata", "malformed_not_json.txt"))
	h := smtHeaders()
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, []byte(nil), false, "", "", "", "", false)
		f.Add(b, []byte(smtAggregateID), true, h["event_type"], h["aggregate_version"], h["metadata"], h["created_at"], false)
	}
	f.Add([]byte(nil), []byte(nil), false, "", "", "", "", false)
	f.Add([]byte{}, []byte(nil), false, "", "", "", "", true)
	f.Add([]byte(`{"schema":null,"payload":{"op":"c","after":{},"source":{}}}`), []byte(`{"schema":{},"payload":"k"}`), true, `"T"`, `{"schema":{},"payload":2}`, `"{}"`, "1", false)

	d, err := NewDecoder(DecoderConfig{})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, value, key []byte, withID bool, eventType, version, metadata, createdAt string, heartbeatTopic bool) {
		rec := kafka.Record{Topic: outboxTopic, Key: key, Value: value, Headers: map[string]string{}}
		if heartbeatTopic {
			rec.Topic = HeartbeatTopicPrefix + ".outbox"
		}
		if withID {
			rec.Headers = map[string]string{
				"id": smtEventID, "event_type": eventType, "aggregate_version": version,
				"metadata": metadata, "created_at": createdAt,
			}
		}
		in := bytes.Clone(value)
		res, err := d.Decode(rec)
		if !bytes.Equal(in, value) {
			t.Fatal("Decode modified the record value")
		}
		if err != nil {
			var de *DecodeError
			if !errors.Is(err, ErrMalformed) || !fault.IsPermanent(err) || !errors.As(err, &de) || de.Field == "" {
				t.Fatalf("error breaks the contract: %v", err)
			}
			if res.Skip != "" || res.Event.EventID != "" {
				t.Fatalf("non-zero result with an error: %+v", res)
			}
			return
		}
		if res.Skip != "" {
			if res.Event.EventID != "" {
				t.Fatalf("event with a skip: %+v", res)
			}
			return
		}
		ev := res.Event
		switch {
		case ev.EventID == "", ev.AggregateID == "", ev.EventType == "":
			t.Fatalf("event without identity: %+v", ev)
		case ev.AggregateVersion < 1, ev.SchemaVersion < 1:
			t.Fatalf("bad versions: %+v", ev)
		case len(ev.Payload) == 0 || ev.Payload[0] != '{' || !json.Valid(ev.Payload):
			t.Fatalf("payload is not a JSON object: %q", ev.Payload)
		case ev.CreatedAt.Location() != time.UTC:
			t.Fatalf("created_at not UTC: %v", ev.CreatedAt)
		}
		for k, v := range ev.Metadata.Extra {
			if !json.Valid(v) {
				t.Fatalf("metadata %q is not valid JSON: %q", k, v)
			}
		}
	})
}
