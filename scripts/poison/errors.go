package poison

import "github.com/twmb/franz-go/pkg/kerr"

// Kafka errors the tool tolerates: a topic nobody has created yet has no
// records, and one that exists need not be created.
var (
	errUnknownTopic = kerr.UnknownTopicOrPartition
	errTopicExists  = kerr.TopicAlreadyExists
)
