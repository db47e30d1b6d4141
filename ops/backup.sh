#!/bin/sh
# Back up Harbor's PostgreSQL database to one file (pg_dump's custom format).
#
#   DATABASE_URL=postgres://harbor_owner@db:5432/harbor ops/backup.sh /backups/harbor-$(date +%F).dump
#
# The dump holds survivors' identity encrypted: it is useless without FIELD_ENCRYPTION_KEY,
# and the audit chain cannot be verified without AUDIT_CHAIN_KEY. Keep those keys, but
# somewhere else (README "Runbook"): a backup that carries its own keys is a leak.
set -eu
out="${1:?usage: ops/backup.sh FILE}"
: "${DATABASE_URL:?set DATABASE_URL to the database to dump}"
pg_dump --format=custom --no-owner --no-privileges --file="$out" "$DATABASE_URL"
echo "backup: $(wc -c <"$out") bytes written to $out"
