#!/usr/bin/env bash
# A real single-node Apache Kafka broker (KRaft, no ZooKeeper) from Apache Kafka's jars on Maven Central,
# for machines without Docker. Used by the test harness and `npm start`; also usable by hand.
#
#   kafka-local.sh fetch                      copy the broker jars into the cache once (needs Maven)
#   kafka-local.sh run DATA_DIR PORT CTRL_PORT [OWNER_PID]
#                                             format DATA_DIR once, then run the broker in the foreground
#                                             on 127.0.0.1:PORT; stops when OWNER_PID exits
#
# Environment: SCIMBRIDGE_CACHE_DIR (default <repo>/.cache), KAFKA_HEAP_OPTS (default -Xmx512m -Xms256m),
# JAVA (default java).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../../.." && pwd)"
version="$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$here/pom.xml")"
cache="${SCIMBRIDGE_CACHE_DIR:-$repo/.cache}/kafka-$version"
java="${JAVA:-java}"

fetch() {
  if [ -f "$cache/.complete" ]; then return 0; fi
  command -v mvn >/dev/null || { echo "kafka-local: Maven (mvn) is needed once to fetch Kafka $version jars" >&2; exit 3; }
  echo "kafka-local: fetching Apache Kafka $version jars from Maven Central into $cache" >&2
  rm -rf "$cache.partial"
  mvn -q -B -f "$here/pom.xml" dependency:copy-dependencies \
    -DincludeScope=runtime -DoutputDirectory="$cache.partial/libs" >&2
  touch "$cache.partial/.complete"
  rm -rf "$cache"
  mv "$cache.partial" "$cache"
}

run() {
  local data="$1" port="$2" ctrl="$3" owner="${4:-}"
  fetch
  mkdir -p "$data"
  # The controller's address is written into the formatted quorum, so a kept data dir keeps its port.
  if [ -f "$data/controller.port" ]; then ctrl="$(cat "$data/controller.port")"; else echo "$ctrl" > "$data/controller.port"; fi
  local props="$data/server.properties"
  cat > "$props" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.bootstrap.servers=127.0.0.1:$ctrl
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$ctrl
advertised.listeners=PLAINTEXT://127.0.0.1:$port
controller.listener.names=CONTROLLER
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
log.dirs=$data/logs
num.partitions=1
auto.create.topics.enable=false
offsets.topic.replication.factor=1
offsets.topic.num.partitions=10
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
group.initial.rebalance.delay.ms=0
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
PROPS
  local cp="$cache/libs/*"
  local log4j="-Dlog4j2.configurationFile=$here/log4j2.properties"
  if [ ! -f "$data/logs/meta.properties" ]; then
    local cluster_id
    cluster_id="$("$java" -cp "$cp" "$log4j" kafka.tools.StorageTool random-uuid 2>/dev/null | tail -n 1)"
    "$java" -cp "$cp" "$log4j" kafka.tools.StorageTool format --standalone -t "$cluster_id" -c "$props" >/dev/null
  fi
  # The broker's listener is rewritten on every run, so a kept data dir works on a new client port.
  # shellcheck disable=SC2086
  "$java" ${KAFKA_HEAP_OPTS:--Xmx512m -Xms256m} -XX:+UseG1GC -Djava.awt.headless=true "$log4j" \
    -cp "$cp" kafka.Kafka "$props" &
  local broker=$!
  trap 'kill -TERM "$broker" 2>/dev/null || true; wait "$broker" 2>/dev/null; exit 0' TERM INT HUP
  echo "$broker" > "$data/broker.pid"
  # Stop with the owner: a killed parent must not leave a broker behind.
  while kill -0 "$broker" 2>/dev/null; do
    if [ -n "$owner" ] && ! kill -0 "$owner" 2>/dev/null; then
      kill -TERM "$broker" 2>/dev/null || true
    fi
    sleep 1 &
    wait $! 2>/dev/null || true
  done
  wait "$broker"
}

case "${1:-}" in
  fetch) fetch ;;
  run) shift; run "$@" ;;
  *) sed -n '2,12p' "$0" >&2; exit 2 ;;
esac
