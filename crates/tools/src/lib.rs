//! The `merchant-ops` binary's side of the house: the command line, the demo shop
//! it loads on a first run, and the benchmarks. Nothing here serves a request;
//! the server, the store and the rules live in `web`, `store` and `domain`.

pub mod bench;
pub mod bench_drop;
pub mod cli;
pub mod demo;
pub mod soak;
