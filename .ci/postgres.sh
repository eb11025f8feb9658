#!/usr/bin/env bash
# Start this machine's PostgreSQL 15 cluster (apt never starts services here) and make sure the
# test role and database exist. Prints the DATABASE_URL to use. Idempotent.
set -euo pipefail
pg_lsclusters -h | grep -q '^15 main .* online' || pg_ctlcluster 15 main start
for _ in $(seq 60); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 0.5; done
runuser -u postgres -- psql -v ON_ERROR_STOP=1 -q <<'SQL'
SELECT 'CREATE ROLE kakehashi LOGIN PASSWORD ''kakehashi'' CREATEDB' WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname='kakehashi')\gexec
SELECT 'CREATE DATABASE kakehashi_test OWNER kakehashi' WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname='kakehashi_test')\gexec
SQL
echo "postgresql+psycopg://kakehashi:kakehashi@127.0.0.1:5432/kakehashi_test"
