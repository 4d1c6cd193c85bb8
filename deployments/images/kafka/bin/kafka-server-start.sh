#!/usr/bin/env bash
# kafka-server-start.sh server.properties [--override property=value]*
set -e
if [ $# -lt 1 ]; then
  echo "USAGE: $0 server.properties [--override property=value]*" >&2
  exit 1
fi
base_dir=$(cd "$(dirname "$0")/.." && pwd)

if [ -z "$KAFKA_LOG4J_OPTS" ]; then
  export KAFKA_LOG4J_OPTS="-Dlog4j2.configurationFile=$base_dir/config/log4j2.properties"
fi
# The distribution defaults to 1G; a single-node dev broker needs far less.
if [ -z "$KAFKA_HEAP_OPTS" ]; then
  export KAFKA_HEAP_OPTS="-Xmx384m -Xms384m"
fi

exec "$base_dir/bin/kafka-run-class.sh" -name kafkaServer kafka.Kafka "$@"
