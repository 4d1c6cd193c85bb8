#!/usr/bin/env bash
# Entry point of event-processor/connect, a drop-in for
# quay.io/debezium/connect:3.6.1.Final as compose configures it (same
# variables as Debezium's connect-base docker-entrypoint.sh):
#   BOOTSTRAP_SERVERS            required (Debezium: else 0.0.0.0:9092)
#   GROUP_ID                     default 1
#   CONFIG_STORAGE_TOPIC         required
#   OFFSET_STORAGE_TOPIC         required
#   STATUS_STORAGE_TOPIC         default connect-status
#   {CONFIG,OFFSET,STATUS}_STORAGE_REPLICATION_FACTOR  default 1
#   KEY_CONVERTER, VALUE_CONVERTER  default org.apache.kafka.connect.json.JsonConverter
#   REST_PORT (8083), REST_HOST_NAME (all interfaces) -> listeners
#   ADVERTISED_HOST_NAME (the container's IP), ADVERTISED_PORT (8083)
#   OFFSET_FLUSH_INTERVAL_MS (60000), OFFSET_FLUSH_TIMEOUT_MS (5000),
#   SHUTDOWN_TIMEOUT (10000 -> task.shutdown.graceful.timeout.ms)
#   HEAP_OPTS                    default -Xms256m -Xmx512m
#   CONNECT_<NAME>               worker property <name> lowercased, '_' -> '.'
#                                (CONNECT_KEY_CONVERTER_SCHEMAS_ENABLE -> key.converter.schemas.enable)
#   LOG_LEVEL, CONNECT_LOG4J_LOGGERS ("LEVEL, stdout"), CONNECT_LOG4J_LOGGER_<NAME>=LEVEL
#   KAFKA_OPTS, KAFKA_JMX_OPTS, JMXHOST + JMXPORT
# Command `start` (default) runs the worker with exec (the JVM is PID 1 and
# gets SIGTERM); anything else is exec'd as is.
set -euo pipefail

KAFKA_HOME=${KAFKA_HOME:-/kafka}
config=$KAFKA_HOME/config/connect-distributed.properties
log4j=$KAFKA_HOME/config/log4j2.properties

if [[ -z ${BOOTSTRAP_SERVERS-} ]]; then
  # Legacy container links (as Debezium): KAFKA_PORT_9092_TCP=tcp://host:port
  BOOTSTRAP_SERVERS=$(env | grep '.*PORT_9092_TCP=' | sed -e 's|.*tcp://||' | sort -u | paste -sd, || true)
fi
: "${BOOTSTRAP_SERVERS:=0.0.0.0:9092}"

if [[ -z ${HOST_NAME-} ]]; then
  HOST_NAME=$(hostname -i 2>/dev/null | awk '{print $1}')
  HOST_NAME=${HOST_NAME:-$(hostname)}
fi
: "${REST_PORT:=8083}"
: "${ADVERTISED_PORT:=8083}"
: "${ADVERTISED_HOST_NAME:=$HOST_NAME}"
: "${GROUP_ID:=1}"
: "${OFFSET_FLUSH_INTERVAL_MS:=60000}"
: "${OFFSET_FLUSH_TIMEOUT_MS:=5000}"
: "${SHUTDOWN_TIMEOUT:=10000}"
: "${KEY_CONVERTER:=org.apache.kafka.connect.json.JsonConverter}"
: "${VALUE_CONVERTER:=org.apache.kafka.connect.json.JsonConverter}"
: "${CONFIG_STORAGE_REPLICATION_FACTOR:=1}"
: "${OFFSET_STORAGE_REPLICATION_FACTOR:=1}"
: "${STATUS_STORAGE_REPLICATION_FACTOR:=1}"
: "${CONNECT_PLUGIN_PATH:=${KAFKA_CONNECT_PLUGINS_DIR:-$KAFKA_HOME/connect}}"

# The named variables become CONNECT_* ones unless those are set explicitly.
setdefault() { if [[ -z ${!1-} && -n ${2-} ]]; then export "$1=$2"; fi; }
setdefault CONNECT_BOOTSTRAP_SERVERS "$BOOTSTRAP_SERVERS"
setdefault CONNECT_GROUP_ID "$GROUP_ID"
setdefault CONNECT_CONFIG_STORAGE_TOPIC "${CONFIG_STORAGE_TOPIC-}"
setdefault CONNECT_OFFSET_STORAGE_TOPIC "${OFFSET_STORAGE_TOPIC-}"
setdefault CONNECT_STATUS_STORAGE_TOPIC "${STATUS_STORAGE_TOPIC-}"
setdefault CONNECT_CONFIG_STORAGE_REPLICATION_FACTOR "$CONFIG_STORAGE_REPLICATION_FACTOR"
setdefault CONNECT_OFFSET_STORAGE_REPLICATION_FACTOR "$OFFSET_STORAGE_REPLICATION_FACTOR"
setdefault CONNECT_STATUS_STORAGE_REPLICATION_FACTOR "$STATUS_STORAGE_REPLICATION_FACTOR"
setdefault CONNECT_KEY_CONVERTER "$KEY_CONVERTER"
setdefault CONNECT_VALUE_CONVERTER "$VALUE_CONVERTER"
setdefault CONNECT_REST_ADVERTISED_HOST_NAME "$ADVERTISED_HOST_NAME"
setdefault CONNECT_REST_ADVERTISED_PORT "$ADVERTISED_PORT"
# Kafka 4 removed rest.host.name/rest.port: REST_* become `listeners`.
setdefault CONNECT_LISTENERS "http://${REST_HOST_NAME:-0.0.0.0}:$REST_PORT"
setdefault CONNECT_TASK_SHUTDOWN_GRACEFUL_TIMEOUT_MS "$SHUTDOWN_TIMEOUT"
setdefault CONNECT_OFFSET_FLUSH_INTERVAL_MS "$OFFSET_FLUSH_INTERVAL_MS"
setdefault CONNECT_OFFSET_FLUSH_TIMEOUT_MS "$OFFSET_FLUSH_TIMEOUT_MS"
export CONNECT_PLUGIN_PATH
export KAFKA_HEAP_OPTS=${HEAP_OPTS:-${KAFKA_HEAP_OPTS:--Xms256m -Xmx512m}}
unset HEAP_OPTS

if [[ -n ${JMXPORT-} && -n ${JMXHOST-} ]]; then
  echo "Enabling JMX on ${JMXHOST}:${JMXPORT}"
  export KAFKA_JMX_OPTS="-Djava.rmi.server.hostname=${JMXHOST} -Dcom.sun.management.jmxremote.rmi.port=${JMXPORT} -Dcom.sun.management.jmxremote.port=${JMXPORT} -Dcom.sun.management.jmxremote -Dcom.sun.management.jmxremote.authenticate=${JMXAUTH:-false} -Dcom.sun.management.jmxremote.ssl=${JMXSSL:-false}"
fi

sensitive() { [[ $1 =~ (PASSWORD|JAAS|SECRET|CREDENTIALS) ]]; }

if [[ ${1-} == start ]]; then
  missing=0
  for v in CONNECT_BOOTSTRAP_SERVERS CONNECT_GROUP_ID CONNECT_CONFIG_STORAGE_TOPIC CONNECT_OFFSET_STORAGE_TOPIC; do
    if [[ -z ${!v-} ]]; then echo "The ${v#CONNECT_} variable must be set." >&2; missing=1; fi
  done
  (( ! missing )) || exit 1
  if [[ -z ${CONNECT_STATUS_STORAGE_TOPIC-} ]]; then
    echo "WARNING: STATUS_STORAGE_TOPIC is not set; the default 'connect-status' is used."
  fi

  # Logging: LOG_LEVEL (root, via ${env:LOG_LEVEL} in the file),
  # CONNECT_LOG4J_LOGGERS="LEVEL, stdout" (Debezium/log4j 1 style: the level
  # is kept), CONNECT_LOG4J_LOGGER_IO_DEBEZIUM=DEBUG -> logger io.debezium.
  cp "$KAFKA_HOME/config.orig/log4j2.properties" "$log4j"
  if [[ -n ${CONNECT_LOG4J_LOGGERS-} ]]; then
    export LOG_LEVEL=${LOG_LEVEL:-$(sed 's/[ ,].*//' <<<"$CONNECT_LOG4J_LOGGERS")}
  fi
  i=0
  while IFS= read -r -d '' kv; do
    name=${kv%%=*}
    [[ $name == CONNECT_LOG4J_LOGGER_?* ]] || continue
    logger=${name#CONNECT_LOG4J_LOGGER_}; logger=${logger,,}; logger=${logger//_/.}
    i=$((i + 1))
    printf 'logger.env%d.name = %s\nlogger.env%d.level = %s\n' "$i" "$logger" "$i" "${kv#*=}" >>"$log4j"
    echo "--- Setting logger $logger=${kv#*=}"
  done < <(env -0 | sort -z)

  # Worker properties: the base file, then every CONNECT_* variable (the
  # variable wins over a base line with the same key; Debezium's mapping).
  declare -A props=()
  keys=()
  while IFS= read -r -d '' kv; do
    name=${kv%%=*}
    [[ $name == CONNECT_?* && $name != CONNECT_LOG4J* ]] || continue
    key=${name#CONNECT_}; key=${key,,}; key=${key//_/.}
    props[$key]=${kv#*=}
    keys+=("$key")
    if sensitive "$name"; then
      echo "--- Setting property from $name: $key=[hidden]"
    else
      echo "--- Setting property from $name: $key=${kv#*=}"
    fi
  done < <(env -0 | sort -z)
  {
    while IFS= read -r line || [[ -n $line ]]; do
      key=${line%%=*}
      key=${key//[[:space:]]/}
      if [[ $line != \#* && $line == *=* && -n ${props[$key]+x} ]]; then continue; fi
      printf '%s\n' "$line"
    done <"$KAFKA_HOME/config.orig/connect-distributed.properties"
    for key in "${keys[@]+"${keys[@]}"}"; do
      printf '%s=%s\n' "$key" "${props[$key]}"
    done
  } >"$config"

  echo "Starting Kafka Connect: group.id=$CONNECT_GROUP_ID bootstrap.servers=$CONNECT_BOOTSTRAP_SERVERS listeners=$CONNECT_LISTENERS advertised=$CONNECT_REST_ADVERTISED_HOST_NAME:$CONNECT_REST_ADVERTISED_PORT plugins=$CONNECT_PLUGIN_PATH"
  exec "$KAFKA_HOME/bin/connect-distributed.sh" "$config"
fi

exec "$@"
