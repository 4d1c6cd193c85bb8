#!/usr/bin/env bash
# connect-distributed.sh worker.properties: a Kafka Connect worker in
# distributed mode (org.apache.kafka.connect.cli.ConnectDistributed).
set -e
if [ $# -lt 1 ]; then
  echo "USAGE: $0 connect-distributed.properties" >&2
  exit 1
fi
base_dir=$(cd "$(dirname "$0")/.." && pwd)
if [ -z "$KAFKA_LOG4J_OPTS" ]; then
  export KAFKA_LOG4J_OPTS="-Dlog4j2.configurationFile=$base_dir/config/log4j2.properties"
fi
if [ -z "$KAFKA_HEAP_OPTS" ]; then
  export KAFKA_HEAP_OPTS="-Xms256m -Xmx512m"
fi
exec "$base_dir/bin/kafka-run-class.sh" -name connectDistributed org.apache.kafka.connect.cli.ConnectDistributed "$@"
