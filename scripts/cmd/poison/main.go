// Command poison reads the projectors' poison topics and replays their
// entries once the cause is fixed.
//
//	poison list   [-service S] [-reason TEXT] [-type T] [-replayed] [-json]
//	poison show   ID|EVENT_ID ...
//	poison replay ID|EVENT_ID ...
//	poison replay -matching [-service S] [-reason TEXT] [-type T]
//	poison drop   ID|EVENT_ID ...
//
// An entry's ID is its place in its poison topic, "topic/partition/offset"
// (list prints it); an event id works as well. replay sends each record
// back to the topic it was poisoned from, for the service that poisoned it
// only, and notes it on the poison.replayed topic: list then hides it
// (-replayed shows it). An entry is replayed with the rest of its
// aggregate's entries, in order: the events the projector parked behind a
// poisoned one wait for it, and are released by its replay. drop gives up
// on events that will never apply (invalid as written): the projector
// stops waiting for them, and the rest of their aggregates' entries are
// replayed. Replaying twice changes nothing: the projections
// are idempotent. -brokers defaults to $KAFKA_BROKERS, else the compose
// stack's localhost:29092.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/activityapp/event-processor/scripts/poison"
)

func main() {
	if len(os.Args) < 2 {
		usage(os.Stderr)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1], os.Args[2:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "poison:", err)
		if errors.Is(err, errUsage) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}

var errUsage = errors.New("usage")

func usage(w io.Writer) {
	_, _ = fmt.Fprintln(w, `usage:
  poison list   [-service S] [-reason TEXT] [-type T] [-replayed] [-json]
  poison show   ID|EVENT_ID ...
  poison replay ID|EVENT_ID ...
  poison replay -matching [-service S] [-reason TEXT] [-type T]
  poison drop   ID|EVENT_ID ...
common: -brokers host:port,... (default $KAFKA_BROKERS, else localhost:29092), -timeout 1m`)
}

func run(ctx context.Context, cmd string, args []string, out io.Writer) error {
	fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
	brokers := fs.String("brokers", defaultBrokers(), "Kafka brokers, comma-separated")
	timeout := fs.Duration("timeout", time.Minute, "how long the command may take")
	service := fs.String("service", "", "only the entries of this service (comma-separated for several)")
	reason := fs.String("reason", "", "only the entries whose reason contains this")
	eventType := fs.String("type", "", "only the entries of this event type")
	replayed := fs.Bool("replayed", false, "also the entries replayed before")
	matching := fs.Bool("matching", false, "replay: every entry the filters select")
	asJSON := fs.Bool("json", false, "list: one JSON object per entry")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	f := poison.Filter{Reason: *reason, EventType: *eventType, Replayed: *replayed, IDs: fs.Args()}
	if *service != "" {
		f.Services = strings.Split(*service, ",")
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	tool, err := poison.New(strings.Split(*brokers, ","))
	if err != nil {
		return err
	}
	defer tool.Close()

	switch cmd {
	case "list":
		entries, err := tool.List(ctx, f)
		if err != nil {
			return err
		}
		if *asJSON {
			return writeJSON(out, entries)
		}
		return writeTable(out, entries, time.Now())
	case "show":
		if len(f.IDs) == 0 {
			return fmt.Errorf("%w: show needs an entry ID or event id", errUsage)
		}
		entries, err := selected(ctx, tool, f)
		if err != nil {
			return err
		}
		for _, e := range entries {
			if err := show(out, e); err != nil {
				return err
			}
		}
		return nil
	case "drop":
		if len(f.IDs) == 0 {
			return fmt.Errorf("%w: drop needs entry IDs or event ids", errUsage)
		}
		entries, err := selected(ctx, tool, f)
		if err != nil {
			return err
		}
		done, err := tool.Drop(ctx, entries)
		return errors.Join(err, printSent(out, done))
	case "replay":
		if len(f.IDs) == 0 && !*matching {
			return fmt.Errorf("%w: replay needs entry IDs or event ids, or -matching with filters", errUsage)
		}
		entries, err := selected(ctx, tool, f)
		if err != nil {
			return err
		}
		done, err := tool.Replay(ctx, entries)
		return errors.Join(err, printSent(out, done))
	default:
		usage(os.Stderr)
		return fmt.Errorf("%w: unknown command %q", errUsage, cmd)
	}
}

// selected are the entries f selects, at least one. Entries named by ID
// are selected even if replayed before: they are shown, replayed or
// dropped again if asked.
func selected(ctx context.Context, tool *poison.Tool, f poison.Filter) ([]poison.Entry, error) {
	if len(f.IDs) > 0 {
		f.Replayed = true
	}
	entries, err := tool.List(ctx, f)
	if err != nil {
		return nil, err
	}
	if len(entries) == 0 {
		return nil, errors.New("no entry matches")
	}
	return entries, nil
}

// printSent says what replay or drop wrote, one line per event.
func printSent(out io.Writer, done []poison.Replayed) error {
	p := &printer{w: out}
	for _, d := range done {
		verb := "replayed"
		if d.Dropped {
			verb = "dropped"
		}
		p.printf("%s %s (%s %s) to %s for %s\n", verb, d.Entry.ID, d.Entry.EventType, d.Entry.EventID, d.To, d.Entry.Service)
		for _, c := range d.Covered {
			p.printf("  with %s, an earlier copy of the same event\n", c.ID)
		}
	}
	return p.err
}

func defaultBrokers() string {
	if b := os.Getenv("KAFKA_BROKERS"); b != "" {
		return b
	}
	return "localhost:29092"
}

func writeTable(out io.Writer, entries []poison.Entry, now time.Time) error {
	w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	p := &printer{w: w}
	p.printf("ID\tSERVICE\tHANDLER\tTYPE\tEVENT ID\tCORRELATION ID\tFROM\tAGE\tREPLAYED\tREASON\n")
	for _, e := range entries {
		replayed := "-"
		if e.Replayed != nil {
			replayed = e.Replayed.At.Format(time.RFC3339)
		}
		p.printf("%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", e.ID, e.Service, e.Handler, dash(e.EventType), dash(e.EventID),
			dash(e.CorrelationID), e.From, now.Sub(e.Time).Round(time.Second), replayed, e.FirstLine())
	}
	return errors.Join(p.err, w.Flush())
}

type entryJSON struct {
	ID            string          `json:"id"`
	Service       string          `json:"service"`
	Handler       string          `json:"handler"`
	EventType     string          `json:"event_type,omitempty"`
	EventID       string          `json:"event_id,omitempty"`
	CorrelationID string          `json:"correlation_id,omitempty"`
	From          poison.Position `json:"from"`
	Origin        string          `json:"origin"`
	ParkedBehind  string          `json:"parked_behind,omitempty"`
	Time          time.Time       `json:"time"`
	Reason        string          `json:"reason"`
	Replayed      *poison.Replay  `json:"replayed,omitempty"`
}

func writeJSON(out io.Writer, entries []poison.Entry) error {
	enc := json.NewEncoder(out)
	for _, e := range entries {
		if err := enc.Encode(entryJSON{ID: e.ID, Service: e.Service, Handler: e.Handler, EventType: e.EventType, EventID: e.EventID,
			CorrelationID: e.CorrelationID, From: e.From, Origin: e.Origin, ParkedBehind: e.ParkedBehind, Time: e.Time, Reason: e.Reason, Replayed: e.Replayed}); err != nil {
			return err
		}
	}
	return nil
}

// show prints one entry whole: where it is and was, why, its headers and
// its value (indented when it is JSON).
func show(out io.Writer, e poison.Entry) error {
	p := &printer{w: out}
	p.printf("entry:          %s (%s)\n", e.ID, e.Time.Format(time.RFC3339))
	p.printf("service:        %s (handler %s)\n", e.Service, e.Handler)
	p.printf("event:          %s %s\n", dash(e.EventType), dash(e.EventID))
	p.printf("correlation id: %s\n", dash(e.CorrelationID))
	p.printf("poisoned from:  %s, key %q\n", e.From, e.Key)
	if e.Origin != e.From.String() {
		p.printf("first read at:  %s\n", e.Origin)
	}
	if e.ParkedBehind != "" {
		p.printf("parked behind:  %s (replaying that event's entry replays this one after it)\n", e.ParkedBehind)
	}
	switch {
	case e.Replayed != nil && e.Replayed.SupersededBy != "":
		p.printf("superseded:     %s by the rebuild %s\n", e.Replayed.At.Format(time.RFC3339), e.Replayed.SupersededBy)
	case e.Replayed != nil && e.Replayed.Dropped:
		p.printf("dropped:        %s (drop record %s)\n", e.Replayed.At.Format(time.RFC3339), e.Replayed.To)
	case e.Replayed != nil:
		p.printf("replayed:       %s to %s\n", e.Replayed.At.Format(time.RFC3339), e.Replayed.To)
	}
	p.printf("reason:         %s\n", e.Reason)
	p.printf("headers:\n")
	for _, k := range slices.Sorted(maps.Keys(e.Headers)) {
		p.printf("  %s: %s\n", k, e.Headers[k])
	}
	p.printf("value:\n")
	switch {
	case e.Value == nil:
		p.printf("  null (a tombstone)\n")
	case json.Valid(e.Value):
		var buf bytes.Buffer
		_ = json.Indent(&buf, e.Value, "  ", "  ") // valid JSON
		p.printf("  %s\n", buf.String())
	default:
		p.printf("  %q\n", e.Value)
	}
	p.printf("\n")
	return p.err
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// printer writes until the first error, which it keeps.
type printer struct {
	w   io.Writer
	err error
}

func (p *printer) printf(format string, args ...any) {
	if p.err == nil {
		_, p.err = fmt.Fprintf(p.w, format, args...)
	}
}
