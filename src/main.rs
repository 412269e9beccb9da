use std::io::Write;

use clap::Parser;

// Reading and validating run on two threads that allocate and free each other's rows; glibc's
// allocator serialises that on a lock, mimalloc does not.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let args = bgy::cli::Args::parse();
    let json = args.global.json;
    let command = args.command.name();
    let config = match bgy::config::Config::from_args(args) {
        Ok(c) => c,
        Err(e) => fail(command, json, &e.to_string(), 2),
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => fail(
            command,
            json,
            &format!("cannot start the async runtime: {e}"),
            2,
        ),
    };
    let code = match runtime.block_on(bgy::run(config)) {
        Ok(summary) => {
            bgy::console::print_result(&summary, json);
            summary.status.exit_code()
        }
        Err(e) => {
            let code = bgy::error_exit_code(&e);
            runtime.shutdown_background();
            fail(command, json, &format!("{e:#}"), code);
        }
    };
    // Dropping the runtime would wait for blocking tasks; the run is over.
    runtime.shutdown_background();
    std::process::exit(code);
}

/// Ends with an error: one line on stderr, and with `--json` one object on stdout too.
fn fail(command: &str, json: bool, error: &str, code: i32) -> ! {
    eprintln!("{}", bgy::text::line(&format!("bgy: error: {error}")));
    if json {
        let object = serde_json::json!({"command": command, "error": error, "exit": code});
        // A reader that has gone is no reason to panic.
        let _ = writeln!(std::io::stdout(), "{object}");
    }
    std::process::exit(code);
}
