use std::process::ExitCode;

// Many small allocations on many threads (HTTP, JSON, the pool): mimalloc keeps
// them cheap where the system allocator contends.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    tools::cli::main().await
}
