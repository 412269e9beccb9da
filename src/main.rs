use std::io::Write;

// Reading and validating run on two threads that allocate and free each other's rows; glibc's
// allocator serialises that on a lock, mimalloc does not. The `system-alloc` feature keeps the
// system's, for heaptrack (it sees only malloc's calls).
#[cfg(not(feature = "system-alloc"))]
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// mimalloc's `mi_option_purge_delay` (its `mimalloc.h`, v3 as the crate builds it; the crate
/// names no constant for it).
const PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// Memory freed goes back to the system at once, not a second later (mimalloc's default): a
/// sync of 100,000 frees its listing's pages and its reader's buffers while it makes its jobs,
/// and kept ~30 MB more at its peak for them. Online, 3 ms later: memory given back at once is
/// unmapped (the other core told to drop it from its TLB), and faulted in and cleared again
/// when used again. A 100,000-row plan, 15 pairs: 1.25 s of CPU and 0.75 s at once, 1.16 s
/// and 0.70 s after 10 ms (after 3 ms as after 10); its peak 107–112 → 110–118 MB, a
/// delete's 113 → 118 MB. Which of a plan's frees cost it is not pinned down: the listing
/// alone (an export) gained nothing, and neither did an offline check (1.26 / 1.23 s of CPU,
/// its peak 68 → 75 MB); a plan also frees the rows it held until the listing came.
fn return_freed_memory(online: bool) {
    let delay = if online { 3 } else { 0 };
    // SAFETY: sets one of mimalloc's options, which it reads each time it purges.
    unsafe { libmimalloc_sys::mi_option_set(PURGE_DELAY, delay) };
}

/// No transparent huge pages for this process. mimalloc asks the kernel for them (`madvise`),
/// and a fresh page of its own then costs a 2 MB page, cleared by the kernel and counted whole
/// however little of it is used; with freed memory given back at once, again and again. A
/// `plan` of 100,000 rows spent 0.43 s in the kernel against 0.30 s without them, and peaked
/// at 189 MB against 167 MB; a sync updating 100,000 people, 229 MB against 207 MB. (mimalloc's
/// own switch, `MIMALLOC_ALLOW_THP=0`, is read before `main`; this is the call it makes.)
fn no_transparent_huge_pages() {
    #[cfg(target_os = "linux")]
    // SAFETY: sets a flag of this process (no pointers); a kernel without it refuses, harmlessly.
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
}

fn main() {
    return_freed_memory(false);
    no_transparent_huge_pages();
    let args = match bgy::cli::Args::try_parse_args() {
        Ok(args) => args,
        Err(e) => refused(e),
    };
    let json = args.global.json;
    let command = args.command.name();
    let config = match bgy::config::Config::from_args(args) {
        Ok(c) => c,
        Err(e) => fail(command, json, &e.to_string(), "", 2),
    };
    return_freed_memory(!matches!(config.target, bgy::config::Target::Offline));
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => fail(
            command,
            json,
            &format!("cannot start the async runtime: {e}"),
            "",
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
            // The stages name no option: the terminal adds the one that helps.
            let unattended = bgy::console::unattended(command);
            let hint = bgy::console::hint(bgy::outcome::remedy_of(&e).as_ref(), unattended);
            fail(command, json, &format!("{e:#}"), &hint, code);
        }
    };
    // Dropping the runtime would wait for blocking tasks; the run is over.
    runtime.shutdown_background();
    std::process::exit(code);
}

/// A command line clap refused: its own message (and help and version as clap shows them);
/// with `--json` anywhere on it, the same one JSON object as any other error, too.
fn refused(e: clap::Error) -> ! {
    use clap::error::ErrorKind;
    let json = std::env::args().skip(1).any(|a| a == "--json");
    if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) {
        e.exit();
    }
    if !json {
        // clap speaks English: the gist in Chinese first, its own words and usage after.
        if let Some(zh) = usage_in_chinese(e.kind()) {
            eprintln!("bgy: 命令行有误:{zh};见下面的说明,或加 --help");
        }
        e.exit();
    }
    // The subcommand by its name, never "the first word": that could be an option's value,
    // such as a ticket.
    let names: Vec<String> = bgy::cli::Args::command()
        .get_subcommands()
        .map(|c| c.get_name().to_string())
        .collect();
    let command = std::env::args()
        .skip(1)
        .find(|a| names.contains(a))
        .unwrap_or_else(|| "bgy".into());
    let text = e.to_string();
    // clap's first line is the error; the rest is usage and a hint to --help.
    let first = text
        .lines()
        .next()
        .unwrap_or("")
        .trim_start_matches("error: ");
    let error = match usage_in_chinese(e.kind()) {
        Some(zh) => format!("命令行有误:{zh} ({first})"),
        None => first.to_string(),
    };
    fail(&command, true, &error, "", 2)
}

/// What is wrong with a command line, in Chinese, for the kinds of error a person makes.
fn usage_in_chinese(kind: clap::error::ErrorKind) -> Option<&'static str> {
    use clap::error::ErrorKind;
    Some(match kind {
        ErrorKind::MissingRequiredArgument => "缺少必须给出的参数",
        ErrorKind::InvalidValue | ErrorKind::ValueValidation => "参数的值不对",
        ErrorKind::UnknownArgument => "没有这个选项",
        ErrorKind::InvalidSubcommand => "没有这个命令",
        ErrorKind::ArgumentConflict => "这两个选项不能一起用",
        ErrorKind::NoEquals | ErrorKind::TooManyValues | ErrorKind::TooFewValues => {
            "参数的个数或写法不对"
        }
        ErrorKind::MissingSubcommand | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            "缺少命令"
        }
        _ => return None,
    })
}

/// Ends with an error: one line on stderr (two when the `hint`, an option that helps, does
/// not fit after it: each keeps its words), and with `--json` one object on stdout too.
fn fail(command: &str, json: bool, error: &str, hint: &str, code: i32) -> ! {
    use bgy::text::{line, line_within, LINE_CHARS};
    let hint = line_within(hint, LINE_CHARS / 2);
    let said = line(&format!("bgy: error: {error}"));
    match said.chars().count() + hint.chars().count() <= LINE_CHARS {
        true => bgy::console::say(format!("{said}{hint}")),
        false => bgy::console::say(format!("{said}\n {hint}")),
    }
    if json {
        let error = format!("{error}{hint}");
        let object = serde_json::json!({"command": command, "error": error, "exit": code});
        // A reader that has gone is no reason to panic.
        let _ = writeln!(std::io::stdout(), "{object}");
    }
    std::process::exit(code);
}

#[cfg(test)]
mod tests {
    use libmimalloc_sys::mi_option_get;

    #[test]
    fn freed_memory_goes_back_at_once_offline_and_soon_online() {
        // SAFETY: reads one of mimalloc's options.
        let delay = || unsafe { mi_option_get(super::PURGE_DELAY) };
        // The purge delay's default (1,000 ms), which no other option's is: the option set is
        // the one meant.
        assert_eq!(delay(), 1000);
        super::return_freed_memory(false);
        assert_eq!(delay(), 0);
        super::return_freed_memory(true);
        assert_eq!(delay(), 3);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn no_huge_pages() {
        // SAFETY: reads a flag of this process.
        let disabled = || unsafe { libc::prctl(libc::PR_GET_THP_DISABLE, 0, 0, 0, 0) };
        super::no_transparent_huge_pages();
        assert_eq!(disabled(), 1);
    }
}
