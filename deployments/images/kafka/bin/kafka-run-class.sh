#!/usr/bin/env bash
# kafka-run-class.sh for event-processor/kafka: the subset of the Apache Kafka
# distribution's script that a container needs (no ZooKeeper, no GC log
# files, no -daemon): java -cp '/opt/kafka/libs/*' <options> CLASS ARGS...
#
# Environment, as in the distribution:
#   KAFKA_HEAP_OPTS            default -Xmx256M (kafka-server-start.sh sets its own)
#   KAFKA_JVM_PERFORMANCE_OPTS default: the distribution's G1 settings for the
#                              server; serial GC + C1 only for the short-lived
#                              CLI tools (starts ~2x faster, e.g. healthchecks)
#   KAFKA_LOG4J_OPTS           default -Dlog4j2.configurationFile=<config>/tools-log4j2.properties
#   KAFKA_CDS_OPTS             default: use the image's AppCDS archive
#                              (/opt/kafka/{kafka,tools}.jsa) when present; " " disables
#   KAFKA_OPTS, KAFKA_JMX_OPTS, JMX_PORT, KAFKA_DEBUG, JAVA_HOME, CLASSPATH
set -e

if [ $# -lt 1 ]; then
  echo "USAGE: $0 [-daemon] [-name servicename] [-loggc] classname [opts]" >&2
  exit 1
fi

base_dir=$(cd "$(dirname "$0")/.." && pwd)

# Accepted for compatibility with the distribution's callers; -daemon and
# -loggc have no meaning in a container (logs go to stdout).
while [ $# -gt 0 ]; do
  case "$1" in
    -name) DAEMON_NAME=$2; shift 2 ;;
    -loggc) shift ;;
    -daemon) shift ;;
    *) break ;;
  esac
done

CLASSPATH="${CLASSPATH:+$CLASSPATH:}$base_dir/libs/*"

if [ -z "$KAFKA_HEAP_OPTS" ]; then
  KAFKA_HEAP_OPTS="-Xmx256M"
fi

if [ -z "$KAFKA_JVM_PERFORMANCE_OPTS" ]; then
  if [ -n "$DAEMON_NAME" ]; then
    KAFKA_JVM_PERFORMANCE_OPTS="-server -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35 -XX:+ExplicitGCInvokesConcurrent -XX:MaxInlineLevel=15 -Djava.awt.headless=true"
  else
    KAFKA_JVM_PERFORMANCE_OPTS="-XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Djava.awt.headless=true"
  fi
fi

# Class data sharing archives made at image build time (docker/build-cds):
# about half the start-up CPU of a CLI tool. Unusable archives are ignored.
if [ -n "$DAEMON_NAME" ]; then cds=$base_dir/kafka.jsa; else cds=$base_dir/tools.jsa; fi
if [ -z "$KAFKA_CDS_OPTS" ] && [ -f "$cds" ]; then
  KAFKA_CDS_OPTS="-XX:SharedArchiveFile=$cds -Xlog:cds=off -Xlog:cds+dynamic=off"
fi

if [ -z "$KAFKA_LOG4J_OPTS" ]; then
  KAFKA_LOG4J_OPTS="-Dlog4j2.configurationFile=$base_dir/config/tools-log4j2.properties"
fi

if [ -n "$JMX_PORT" ]; then
  KAFKA_JMX_OPTS="${KAFKA_JMX_OPTS:--Dcom.sun.management.jmxremote -Dcom.sun.management.jmxremote.authenticate=false -Dcom.sun.management.jmxremote.ssl=false} -Dcom.sun.management.jmxremote.port=$JMX_PORT"
fi

if [ "$KAFKA_DEBUG" = true ] || [ "$KAFKA_DEBUG" = y ]; then
  KAFKA_OPTS="$KAFKA_OPTS -agentlib:jdwp=transport=dt_socket,server=y,suspend=${DEBUG_SUSPEND_FLAG:-n},address=*:${JAVA_DEBUG_PORT:-5005}"
fi

if [ -n "$JAVA_HOME" ]; then JAVA="$JAVA_HOME/bin/java"; else JAVA=java; fi

# Word splitting of the *_OPTS variables is intended (as in the distribution).
# shellcheck disable=SC2086
exec "$JAVA" $KAFKA_HEAP_OPTS $KAFKA_JVM_PERFORMANCE_OPTS $KAFKA_CDS_OPTS $KAFKA_JMX_OPTS $KAFKA_LOG4J_OPTS -cp "$CLASSPATH" $KAFKA_OPTS "$@"
