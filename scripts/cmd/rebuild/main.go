// Command rebuild does the Kafka and MongoDB steps of a read-model rebuild
// (package rebuild); deployments/scripts/rebuild.sh (make rebuild) runs
// the containers around them.
//
//	rebuild plan   -service S                 the new rebuild's suffix
//	rebuild env    -service S -suffix X       the rebuild instance's variables, one per line
//	rebuild wait   -service S -suffix X [-max-lag N]   until the rebuild's groups are at most N records behind
//	rebuild wait-past -service S -suffix X    until the rebuild is past where the (stopped) live group stopped
//	rebuild switch -service S -suffix X       point readers at the new collections, hand over the offsets
//	rebuild drop   -service S                 drop the read models' collections no pointer names (after a grace)
//
// -brokers defaults to $KAFKA_BROKERS, else the compose stack's
// localhost:29092; -mongodb to $MONGODB_URI, else mongodb://localhost:27017.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/activityapp/event-processor/scripts/poison"
	"github.com/activityapp/event-processor/scripts/rebuild"
)

var errUsage = errors.New("usage: rebuild plan|env|wait|wait-past|switch|drop -service S [-suffix X] [-max-lag N] [-brokers B] [-mongodb URI] [-database D] [-timeout T]")

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, errUsage)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1], os.Args[2:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "rebuild:", err)
		if errors.Is(err, errUsage) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}

func run(ctx context.Context, cmd string, args []string, out, progress io.Writer) error {
	fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
	service := fs.String("service", "", "the projector whose read models to rebuild")
	suffix := fs.String("suffix", "", "the rebuild's suffix (from plan)")
	brokers := fs.String("brokers", getenv("KAFKA_BROKERS", "localhost:29092"), "Kafka brokers, comma-separated")
	mongoURI := fs.String("mongodb", getenv("MONGODB_URI", "mongodb://localhost:27017"), "MongoDB URI")
	database := fs.String("database", getenv("MONGODB_DATABASE", "activity_read_models"), "read-model database")
	timeout := fs.Duration("timeout", 30*time.Minute, "how long wait may take")
	maxLag := fs.Int64("max-lag", 0, "wait: records the rebuild may still be behind")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	p, err := rebuild.NewPlan(*service, time.Now())
	if err != nil {
		return err
	}
	switch cmd {
	case "plan":
		_, err := fmt.Fprintln(out, p.Suffix)
		return err
	case "drop":
		return withDatabase(ctx, *mongoURI, *database, func(db *mongo.Database) error {
			dropped, err := rebuild.DropStale(ctx, db, p)
			if err == nil {
				_, err = fmt.Fprintf(out, "%s: dropped %v\n", p.Service, dropped)
			}
			return err
		})
	}
	if *suffix == "" {
		return fmt.Errorf("%w: -suffix is required", errUsage)
	}
	p = p.WithSuffix(*suffix)
	if cmd == "env" {
		_, err := fmt.Fprintln(out, strings.Join(p.Env(), "\n"))
		return err
	}

	cl, err := kgo.NewClient(kgo.SeedBrokers(strings.Split(*brokers, ",")...))
	if err != nil {
		return err
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)
	switch cmd {
	case "wait-past":
		ctx, cancel := context.WithTimeout(ctx, *timeout)
		defer cancel()
		return rebuild.WaitPast(ctx, adm, p.RebuildGroup(), p.Group, p.Topic, 200*time.Millisecond)
	case "wait":
		ctx, cancel := context.WithTimeout(ctx, *timeout)
		defer cancel()
		last := time.Time{}
		return rebuild.WaitCaughtUp(ctx, strings.Split(*brokers, ","), p.RebuildGroups(), *maxLag, time.Second, func(lag int64) {
			if time.Since(last) >= 5*time.Second || lag <= *maxLag {
				last = time.Now()
				_, _ = fmt.Fprintf(progress, "rebuild %s: %d records to go\n", p.RebuildGroup(), lag) // progress only
			}
		})
	case "switch":
		entries, err := poison.New(strings.Split(*brokers, ","))
		if err != nil {
			return err
		}
		defer entries.Close()
		return withDatabase(ctx, *mongoURI, *database, func(db *mongo.Database) error {
			done, err := rebuild.Switch(ctx, db, cl, entries, p)
			if err != nil {
				return err
			}
			_, err = fmt.Fprintf(out, "%s: read models %s now served by %v (before: %v); %d earlier poison entries superseded, %d of the rebuild's resolved in it\n",
				p.Service, strings.Join(p.ReadModels, ", "), p.Collections(), done.Previous, done.Superseded, done.Resolved)
			return err
		})
	default:
		return fmt.Errorf("%w: unknown command %q", errUsage, cmd)
	}
}

func withDatabase(ctx context.Context, uri, database string, fn func(*mongo.Database) error) error {
	mc, err := mongo.Connect(options.Client().ApplyURI(uri).SetTimeout(30 * time.Second))
	if err != nil {
		return err
	}
	defer func() { _ = mc.Disconnect(context.WithoutCancel(ctx)) }()
	return fn(mc.Database(database))
}

func getenv(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}
