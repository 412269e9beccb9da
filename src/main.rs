use clap::Parser;

// Reading and validating run on two threads that allocate and free each other's rows; glibc's
// allocator serialises that on a lock, mimalloc does not.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let args = bgy::cli::Args::parse();
    let json = args.global.json;
    let config = match bgy::config::Config::from_args(args) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("bgy: error: {e}");
            std::process::exit(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("bgy: error: cannot start the async runtime: {e}");
            std::process::exit(2);
        }
    };
    let code = match runtime.block_on(bgy::run(config)) {
        Ok(summary) => {
            bgy::console::print_result(&summary, json);
            summary.status.exit_code()
        }
        Err(e) => {
            eprintln!("{}", bgy::text::line(&format!("bgy: error: {e:#}")));
            bgy::error_exit_code(&e)
        }
    };
    // Dropping the runtime would wait for blocking tasks; the run is over.
    runtime.shutdown_background();
    std::process::exit(code);
}
