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

// FuzzUnquote checks unquoteContent against encoding/json.
func FuzzUnquote(f *testing.F) {
	for _, s := range []string{``, `plain`, `a\"b`, `\u00e9\n\t\\\/`, `\ud83d\ude00`, `\ud83d`, `\ud83dx`, `\udc00\ud83d`, "caf\xc3\xa9", "\xff\xfe", `\u0000`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		raw := []byte(`"` + s + `"`)
		if !json.Valid(raw) {
			return
		}
		var want string
		if err := json.Unmarshal(raw, &want); err != nil {
			t.Fatal(err)
		}
		if got := unquoteContent(raw[1 : len(raw)-1]); string(got) != want {
			t.Fatalf("unquoteContent(%q) = %q, want %q", s, got, want)
		}
		if got, ok := stringValue(raw); !ok || got != want {
			t.Fatalf("stringValue(%q) = %q, want %q", s, got, want)
		}
	})
}

// FuzzMembers checks the object walker and compactInPlace against
// encoding/json on valid input.
func FuzzMembers(f *testing.F) {
	for _, s := range []string{`{}`, `{"a":1}`, ` { "a" : [1, {"b":"}"}] , "c\"d" : "x,y" , "e":null } `, `{"a":1,"a":2}`, `{"\u006fp":"c"}`, `[1,2]`, `"s"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if !json.Valid(data) {
			return
		}
		var want bytes.Buffer
		if err := json.Compact(&want, data); err != nil {
			t.Fatal(err)
		}
		if got := compactInPlace(bytes.Clone(data)); !bytes.Equal(got, want.Bytes()) {
			t.Fatalf("compactInPlace(%q) = %q, want %q", data, got, want.Bytes())
		}
		var wantMap map[string]json.RawMessage
		isObject := json.Unmarshal(data, &wantMap) == nil && wantMap != nil
		it, ok := objectMembers(data)
		if ok != isObject {
			t.Fatalf("objectMembers(%q) ok = %v, want %v", data, ok, isObject)
		}
		if !ok {
			return
		}
		got := map[string]json.RawMessage{}
		for {
			k, v, ok := it.next()
			if !ok {
				break
			}
			got[keyString(k)] = v
		}
		if len(got) != len(wantMap) {
			t.Fatalf("members(%q): %d keys, want %d", data, len(got), len(wantMap))
		}
		for k, w := range wantMap {
			g, ok := got[k]
			if !ok || !bytes.Equal(g, w) {
				t.Fatalf("members(%q)[%q] = %q, want %q", data, k, g, w)
			}
		}
	})
}
