# yafgate: the two commands of the README, and a few more for developers.
# `make run` and `make test` start the project's own PostgreSQL and Redis
# (scripts/services installs them from Debian packages when missing).

SERVICES := scripts/services
# Tests are I/O bound (real HTTP, PostgreSQL, Redis); run more than the cores.
TEST_THREADS ?= 8

.PHONY: run test test-cluster test-pg-scale services browser-deps stop status lint docs bench fuzz clean

run: services
	cargo build --release --locked
	./target/release/yafgate migrate --demo
	./target/release/yafgate serve

# Every engine is started before any test. PostgreSQL's and Redis's ports
# (55432, 56379) lie in Linux's ephemeral range: a port already listening
# is never handed to an outgoing connection, while one started after
# thousands of test connections may find its port held by one of them (in
# TIME-WAIT). The engines started later (Redis Cluster 27001-27006 with
# buses 17001-17006, PgBouncer 26432, the replica 25433) listen below the
# range.
# The client kits' own tests first (tests/api/clients.rs runs them again
# against a live gateway). The browser test (tests/api/browser.rs) drives
# the console in Debian's chromium through playwright-core;
# scripts/browser-deps installs both.
test: services browser-deps
	$(SERVICES) cluster start
	$(SERVICES) pgbouncer start
	$(SERVICES) replica start
	node --test --test-reporter=tap clients/js/test/*.test.mjs
	php clients/php/tests/run.php
	clients/java/run-tests.sh
	cargo test --locked --all-targets -- --test-threads=$(TEST_THREADS)
	$(MAKE) test-cluster
	$(MAKE) test-pg-scale

# The store-touching integration tests once more against a local Redis
# Cluster (3 masters + 3 replicas, scripts/services cluster; docs/protocol.md
# §12.6): accounts, SMS, request tokens, guards, bans and limits, sessions,
# two instances. The failover test (tests/api/cluster.rs) runs its own
# cluster in the full run above.
CLUSTER_TESTS ?= accounts:: sms:: identity:: guards:: abuse_requests:: abuse_accounts:: instances:: round_trip:: uploads:: mp::logins
test-cluster: services
	$(SERVICES) cluster start
	eval "$$($(SERVICES) cluster env)" && \
	  cargo test --locked --test api -- --test-threads=$(TEST_THREADS) $(CLUSTER_TESTS)

# PostgreSQL at scale (docs/protocol.md §24): the PostgreSQL-touching
# tests once more with the gateways' pools behind PgBouncer in transaction
# mode, with the PgBouncer tests (ignored by a plain cargo test: they need
# the engine this target starts), then the replica test on its own: while
# tests create and drop their databases the replica's replay trails by
# seconds, which is not the staleness it shows.
PG_SCALE_TESTS ?= pooler accounts payments machines jobs notice news goods \
	user_catalogue system_catalogue identity shared_reads mp:: home:: consult:: supplier::

test-pg-scale: services
	$(SERVICES) pgbouncer start
	$(SERVICES) replica start
	eval "$$($(SERVICES) pgbouncer env)" && \
	  cargo test --locked --test api -- --include-ignored --test-threads=$(TEST_THREADS) $(PG_SCALE_TESTS)
	eval "$$($(SERVICES) pgbouncer env)" && eval "$$($(SERVICES) replica env)" && \
	  cargo test --locked --test api -- --include-ignored replica::

services:
	$(SERVICES) start

browser-deps:
	scripts/browser-deps

stop:
	$(SERVICES) stop

status:
	$(SERVICES) status

lint:
	cargo fmt --check
	cargo clippy --all-targets -- -D warnings

fuzz:
	scripts/fuzz

docs:
	cargo run --quiet -- docs > docs/methods.md
	cargo run --quiet -- docs --codes > docs/codes.md

clean: stop
	rm -rf .run target
