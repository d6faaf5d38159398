# merchant-ops tasks. Every recipe is a plain cargo command: nothing here is required.

# Serve on 127.0.0.1:8080 over SQLite (./data/merchant-ops.db)
run:
    cargo run --release

# The test suite (SQLite; PostgreSQL too when TEST_DATABASE_URL is set)
test:
    cargo test --workspace

# The test suite against the local PostgreSQL as well
test-pg:
    TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres cargo test --workspace

# What CI runs
ci:
    bash .ci/run

# The best-price engine benchmark (criterion)
bench-quote:
    cargo bench -p domain --bench quote

lint:
    cargo fmt --all --check
    cargo clippy --workspace --all-targets -- -D warnings

fmt:
    cargo fmt --all

# The admin pages at 100 k coupons, 1 M claims and 200 k orders (SQLite scratch file)
bench-admin:
    cargo run --release -- bench admin
