#!/bin/sh
# Two roles for Harbor, made once when the database is created (the postgres image runs
# this from /docker-entrypoint-initdb.d; on an existing server run the same SQL by hand):
#   harbor_owner  owns the database and its tables, and runs `migrate` (and nothing else);
#   harbor_app    the app (web, worker, beat): `manage.py grant_app_role harbor_app`, run
#                 after every migrate, lets it read and write every table but only INSERT
#                 and SELECT the audit trail, whose triggers it cannot touch (it owns nothing).
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
    -v db="$POSTGRES_DB" \
    -v owner_pw="$(cat /run/secrets/db_owner_password)" \
    -v app_pw="$(cat /run/secrets/db_app_password)" <<'SQL'
CREATE ROLE harbor_owner LOGIN PASSWORD :'owner_pw';
CREATE ROLE harbor_app LOGIN PASSWORD :'app_pw';
ALTER DATABASE :"db" OWNER TO harbor_owner;
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT CONNECT ON DATABASE :"db" TO harbor_app;
SQL
