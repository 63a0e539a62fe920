#!/bin/sh
# One-shot job (temporalio/admin-tools, Temporal CLI): creates the namespace when missing and
# registers the search attributes listed in NPP_SEARCH_ATTRIBUTES ("Name=Type ..."), skipping the
# ones that exist. Safe to run on every `up`.
set -eu

max_attempts=${SETUP_MAX_ATTEMPTS:-60}
attempt=0
until temporal operator cluster health >/dev/null 2>&1; do
  attempt=$((attempt + 1))
  if [ "$attempt" -ge "$max_attempts" ]; then
    echo "Temporal at $TEMPORAL_ADDRESS is not serving after $max_attempts attempts" >&2
    exit 1
  fi
  sleep 2
done

if ! temporal operator namespace describe --namespace "$TEMPORAL_NAMESPACE" >/dev/null 2>&1; then
  temporal operator namespace create --namespace "$TEMPORAL_NAMESPACE" --retention "$NAMESPACE_RETENTION"
fi

# A namespace just created takes a few seconds to reach the server's namespace cache.
attempt=0
until existing=$(temporal operator search-attribute list --namespace "$TEMPORAL_NAMESPACE" 2>&1); do
  attempt=$((attempt + 1))
  if [ "$attempt" -ge "$max_attempts" ]; then
    echo "$existing" >&2
    exit 1
  fi
  sleep 2
done
for attribute in $NPP_SEARCH_ATTRIBUTES; do
  name=${attribute%%=*}
  type=${attribute#*=}
  if printf '%s\n' "$existing" | grep -qw "$name"; then
    echo "search attribute $name exists"
  else
    temporal operator search-attribute create --namespace "$TEMPORAL_NAMESPACE" --name "$name" --type "$type"
  fi
done
echo "namespace $TEMPORAL_NAMESPACE is ready"
