use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    web::cli::main().await
}
