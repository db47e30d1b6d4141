#!/bin/sh
# Restore a dump made by ops/backup.sh into an empty database, bring its schema up to this
# release, equip the app's role and verify the audit trail.
#
#   DATABASE_URL=postgres://harbor_owner@newdb:5432/harbor ops/restore.sh harbor.dump
#
# DATABASE_URL names the new, empty database, as the role that will own the tables (it
# runs the migrations). With HARBOR_APP_ROLE set (harbor_app), that role gets what the app
# may do and no more (manage.py grant_app_role). FIELD_ENCRYPTION_KEY and AUDIT_CHAIN_KEY must be the
# ones the dump was written under (README "Runbook"): audit_verify names a chain key it
# cannot find. The script stops at the first failure.
set -eu
dump="${1:?usage: ops/restore.sh DUMP_FILE}"
: "${DATABASE_URL:?set DATABASE_URL to the empty database to restore into}"
here="$(cd "$(dirname "$0")/.." && pwd)"
python="${PYTHON:-$here/.venv/bin/python}"
[ -x "$python" ] || python=python

pg_restore --exit-on-error --no-owner --no-privileges --dbname="$DATABASE_URL" "$dump"
"$python" "$here/manage.py" migrate --noinput
if [ -n "${HARBOR_APP_ROLE:-}" ]; then
    "$python" "$here/manage.py" grant_app_role "$HARBOR_APP_ROLE"
fi
# Seals what was written after the dump's last seal, then checks every link.
"$python" "$here/manage.py" audit_verify
echo "restore: $dump restored and the audit trail verified"
