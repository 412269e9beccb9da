//! The command line's front-end: draws a run's events on the terminal. Progress bars (on a
//! terminal, never with `-q`), warnings and notes on stderr, the summary by reason at the end,
//! the typed confirmation before a delete, and Ctrl-C. The one place below `main` that prints.

use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

use crate::events::{Event, Finished, Observer, PlanShown, Remedy};
use crate::outcome::{Detail, Summary};
use crate::remedy::Removal;
use crate::signals;
use crate::stop::Stop;
use crate::text::{line, lines, people};

/// A line on stderr. A reader that has gone (`2>&1 | head -2`) is no reason to stop a run:
/// the line is lost, the run goes on, and its report and journal are written.
pub fn say(text: impl std::fmt::Display) {
    let _ = writeln!(std::io::stderr(), "{text}");
}

/// A line of a command's product on stdout, lost as quietly when nobody reads it.
pub fn put(text: impl std::fmt::Display) {
    let _ = writeln!(std::io::stdout(), "{text}");
}

pub struct Console {
    quiet: bool,
    /// `--json`: stdout holds the one summary object, so a plan goes to stderr.
    json: bool,
    /// The unattended job (`schedule`, `approve`): what helps is a setting of bgy.toml, not
    /// an option.
    unattended: bool,
    bar: Mutex<Option<ProgressBar>>,
    ok: AtomicU64,
    failed: AtomicU64,
}

impl Console {
    pub fn new(quiet: bool, json: bool) -> Console {
        Console {
            quiet,
            json,
            unattended: false,
            bar: Mutex::new(None),
            ok: AtomicU64::new(0),
            failed: AtomicU64::new(0),
        }
    }

    /// The same, for the unattended job: a remedy is said as bgy.toml's setting.
    pub fn unattended(self) -> Console {
        Console {
            unattended: true,
            ..self
        }
    }

    fn with_bar(&self, f: impl FnOnce(&ProgressBar)) {
        if let Some(bar) = self.bar.lock().unwrap_or_else(|e| e.into_inner()).as_ref() {
            f(bar);
        }
    }

    /// Prints a line on stderr, above the bar if one is drawn.
    fn say(&self, text: &str) {
        let bar = self.bar.lock().unwrap_or_else(|e| e.into_inner());
        match bar.as_ref() {
            Some(b) => b.suspend(|| say(text)),
            None => say(text),
        }
    }

    fn phase(&self, what: &str, total: u64) {
        let mut bar = self.bar.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(old) = bar.take() {
            old.finish_and_clear();
        }
        self.ok.store(0, Ordering::Relaxed);
        self.failed.store(0, Ordering::Relaxed);
        if self.quiet || !std::io::stderr().is_terminal() {
            return;
        }
        let b = ProgressBar::new(total)
            .with_style(style(total))
            .with_prefix(what.to_string());
        b.enable_steady_tick(Duration::from_millis(120));
        *bar = Some(b);
    }

    fn end_bar(&self) {
        if let Some(b) = self.bar.lock().unwrap_or_else(|e| e.into_inner()).take() {
            b.finish_and_clear();
        }
    }
}

impl Observer for Console {
    fn event(&self, event: Event) {
        match event {
            Event::Phase { what, total } => self.phase(&what, total),
            Event::Progress { done, total: 0 } => self.with_bar(|b| {
                // No total yet (rows being read): the count alone.
                b.set_position(done);
                b.set_message(done.to_string());
            }),
            Event::Progress { done, total } => self.with_bar(|b| {
                if b.length() != Some(total) {
                    // A total learnt on the way (a listing's count): from a spinner to a bar.
                    b.set_style(style(total));
                    b.set_length(total);
                    b.set_message("");
                }
                b.set_position(done);
            }),
            Event::Row { ok, .. } => {
                let counter = if ok { &self.ok } else { &self.failed };
                counter.fetch_add(1, Ordering::Relaxed);
                self.with_bar(|b| {
                    b.inc(1);
                    b.set_message(format!(
                        "ok {} failed {}",
                        self.ok.load(Ordering::Relaxed),
                        self.failed.load(Ordering::Relaxed)
                    ));
                });
            }
            Event::Warning { text, remedy } => self.say(&format!(
                "{}{}",
                lines(&format!("bgy: warning: {text}")),
                hint(remedy.as_ref(), self.unattended)
            )),
            Event::Note { text, remedy } => {
                self.say(&format!("{text}{}", hint(remedy.as_ref(), self.unattended)))
            }
            Event::Plan(plan) => {
                self.end_bar();
                // The plan is the command's product: stdout, unless that is the JSON's.
                let json = self.json;
                print_plan(&plan, &|l| if json { say(l) } else { put(l) });
            }
            // The report has them; the terminal shows the reasons, and the warnings name the
            // columns it did not know.
            Event::FailedHeader(_) | Event::Failed(_) | Event::Columns(_) => {}
            Event::Finished(f) => {
                self.end_bar();
                print_finished(&f, self.unattended);
            }
        }
    }

    fn confirm_removal(&self, command: &str, n: usize, what: Removal) -> anyhow::Result<bool> {
        anyhow::ensure!(
            std::io::stdin().is_terminal(),
            "不在终端中运行时,{}需要 --yes;什么也没有改 ({} needs --yes when not run from a terminal; nothing was changed)",
            what.doing_zh(n),
            what.doing_en(n),
        );
        self.end_bar();
        let does = match what {
            Removal::Delete => "deletes",
            Removal::MarkLeft => "marks as leavers (已离职)",
        };
        let _ = write!(
            std::io::stderr(),
            "bgy {command}: this {does} {} of the directory. Type {n} to go on: ",
            people(n)
        );
        let mut answer = String::new();
        signals::asking(|| std::io::stdin().read_line(&mut answer))?;
        Ok(answer.trim() == n.to_string())
    }
}

/// A bar over `total` units, or, while the total is not known (0), a spinner and a count.
fn style(total: u64) -> ProgressStyle {
    let template = match total {
        0 => "{spinner} {prefix} {msg}",
        _ => "{spinner} {prefix} [{bar:30}] {pos}/{len} {per_sec:0} ETA {eta} {msg}",
    };
    ProgressStyle::with_template(template)
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ")
}

/// What a run's numbers count, with the number: an undo's changes are people, not the rows
/// of a sheet; a sync's prunes are accounts the sheet does not name. An undo's conflicts are
/// among its people, left alone.
fn counted(f: &Finished) -> String {
    let total = f.counts.total;
    match (f.command.as_str(), f.besides) {
        ("undo", besides) => {
            let planned = f.planned.map(|p| p.changes() + p.conflicts);
            crate::text::count(planned.unwrap_or(total + besides), "change", "changes")
        }
        (_, besides) => {
            let rows = crate::text::count(total, "row", "rows");
            match besides {
                0 => rows,
                n => format!(
                    "{rows} and {} not in the sheet",
                    crate::text::count(n, "account", "accounts")
                ),
            }
        }
    }
}

/// `bgy import: 300 rows: 295 created, 3 invalid …`, the reasons, why it stopped, the report.
fn print_finished(f: &Finished, unattended: bool) {
    let c = &f.counts;
    let mut parts = Vec::new();
    // An import skips an account that exists; a delete or a leave, one its sheet names again.
    let skipped = match f.command.as_str() {
        "delete" | "leave" => "skipped (repeated)",
        _ => "skipped (existing)",
    };
    for (n, word) in [
        (c.created, "created"),
        (c.updated, "updated"),
        (c.skipped, skipped),
        (c.unchanged, "unchanged"),
        (c.deleted, "deleted"),
        (c.left, "marked as leavers"),
        (c.not_found, "not found"),
        (f.valid, "valid"),
        (c.invalid, "invalid"),
        (c.failed, "failed"),
        (c.not_sent, "not sent"),
    ] {
        if n > 0 {
            parts.push(format!("{n} {word}"));
        }
    }
    if let Some(p) = f.planned {
        // What it would do, not rows left valid.
        parts.clear();
        for (n, word) in [
            (p.create, "to create"),
            (p.update, "to update"),
            (p.delete, "to delete"),
            (p.leave, "to mark as leavers"),
            (p.unchanged, "unchanged"),
            (p.conflicts, "changed since (left alone)"),
            (c.invalid, "invalid"),
        ] {
            if n > 0 {
                parts.push(format!("{n} {word}"));
            }
        }
        parts.push("nothing sent".into());
    }
    if parts.is_empty() {
        parts.push("nothing to do".into());
    }
    let what = counted(f);
    say(format!("bgy {}: {what}: {}", f.command, parts.join(", ")));
    for r in &f.reasons {
        let mark = if r.warning { "warning: " } else { "" };
        // One row says it all; for a group, the rule and one example.
        let text = match r.count {
            1 => format!("1 × {mark}{} (first: row {})", r.example, r.first_row),
            n if r.rule == r.example => {
                format!("{n} × {mark}{} (first: row {})", r.example, r.first_row)
            }
            n => format!(
                "{n} × {mark}{}, e.g. {} (first: row {})",
                r.rule, r.example, r.first_row
            ),
        };
        say(format!(
            "  {}{}",
            line(&text),
            hint(r.remedy.as_ref(), unattended)
        ));
    }
    if let Some(why) = &f.stopped {
        say(format!(
            "{}{}",
            line(&format!("bgy {}: stopped early: {why}", f.command)),
            hint(f.stopped_remedy.as_ref(), unattended)
        ));
    }
    if let Some(report) = &f.report {
        say(format!("report: {report}"));
    }
}

/// The plan as a table, and its counts, written by `out`.
fn print_plan(p: &PlanShown, out: &dyn Fn(String)) {
    for l in &p.lines {
        let detail = if l.field.is_empty() && l.new.is_empty() {
            String::new()
        } else if l.field.is_empty() && l.old.is_empty() {
            format!("  {}", l.new)
        } else if l.field.is_empty() {
            // A restore: the fields it sends back, as they are now and as they will be.
            format!("  {} → {}", l.old, l.new)
        } else {
            let old = if l.old.is_empty() {
                "(空 empty)"
            } else {
                &l.old
            };
            format!("  {}: {old} → {}", l.field, l.new)
        };
        out(line(&format!("  {:<10} {}{detail}", l.action, l.target)));
    }
    if p.more > 0 {
        let after = match p.past_a_sheet() {
            true => " and those after it (计划 Plan 2, …)",
            false => "",
        };
        out(format!(
            "  … {} more lines in the report's 计划 Plan sheet{after}",
            p.more
        ));
    }
    if let Some(d) = p.departments {
        // An undo's: what it leaves as it is, and what was renamed since.
        let kept = match d.kept {
            0 => String::new(),
            n => format!(", {n} kept as they are (保留)"),
        };
        let conflicts = match d.conflicts {
            0 => String::new(),
            n => format!(", {n} renamed since, left alone (已被改名,不改回)"),
        };
        // A plan has neither: its departments are created, renamed or invalid rows.
        out(match d.kept + d.conflicts {
            0 => format!(
                "plan: departments: {} to create, {} to rename, {} invalid rows",
                d.create, d.rename, d.invalid
            ),
            _ => format!(
                "plan: departments: {} to rename back{kept}{conflicts}",
                d.rename
            ),
        });
    }
    let s = p.staff;
    let leave = match s.leave {
        0 => String::new(),
        n => format!(", {n} to mark as leavers (已离职)"),
    };
    let conflicts = match s.conflicts {
        0 => String::new(),
        n => format!(", {n} changed since the run, left alone (已被改动,不恢复)"),
    };
    out(format!(
        "plan: staff: {} to create, {} to update, {} unchanged, {} to delete{leave}{conflicts}",
        s.create, s.update, s.unchanged, s.delete
    ));
}

/// What a command prints on stdout: the `--json` summary, or its data (the department tree,
/// a new department's we_id). A reader that has gone (`| head -1`) ends it quietly.
pub fn print_result(summary: &Summary, json: bool) {
    let lines: Vec<String> = if json {
        vec![serde_json::to_string(summary).unwrap_or_default()]
    } else if let Detail::Departments { departments } = &summary.detail {
        departments
            .iter()
            .map(|d| {
                format!(
                    "{}{} [{}] {}",
                    "  ".repeat(d.depth),
                    d.name,
                    d.we_id,
                    d.members
                )
            })
            .collect()
    } else if let (Detail::DeptAdded { we_id }, "dept add") = (&summary.detail, summary.command) {
        vec![we_id.to_string()]
    } else if let Detail::Hash { output } = &summary.detail {
        vec![output.clone()]
    } else if let Some(runs) = match &summary.detail {
        Detail::Runs { runs } => runs.as_array(),
        _ => None,
    } {
        let header = format!(
            "{:>4}  {:<19}  {:<10} {:<8} {:<24} {:<11} {}",
            "run", "started", "who", "command", "input", "status", "counts"
        );
        std::iter::once(header)
            .chain(runs.iter().map(run_line))
            .collect()
    } else if let Detail::Changes {
        changes,
        unanswered,
    } = &summary.detail
    {
        let (changes, unanswered) = (array(changes), array(unanswered));
        let n = unanswered.len();
        let heading = (n > 0).then(|| format!("{}:", unanswered_calls(n as i64)));
        (changes.iter().map(change_line))
            .chain(heading)
            .chain(unanswered.iter().map(change_line))
            .collect()
    } else {
        vec![]
    };
    let mut out = std::io::stdout().lock();
    for l in lines {
        if writeln!(out, "{l}").is_err() {
            return;
        }
    }
    let _ = out.flush();
}

/// `bgy history`: one line a run.
fn run_line(r: &serde_json::Value) -> String {
    let c = &r["counts"];
    let n = |k: &str| c[k].as_u64().unwrap_or(0);
    // A paused run (or one a gate held) has the counts of its plan: what it would do.
    let paused = c.get("create").is_some();
    let counts = match paused {
        true => format!(
            "would: {} create, {} update, {} mark as leavers, {} delete",
            n("create"),
            n("update"),
            n("leave"),
            n("delete")
        ),
        false if n("left") > 0 => format!(
            "{} created, {} updated, {} deleted, {} marked as leavers, {} failed",
            n("created"),
            n("updated"),
            n("deleted"),
            n("left"),
            n("failed")
        ),
        false => format!(
            "{} created, {} updated, {} deleted, {} failed",
            n("created"),
            n("updated"),
            n("deleted"),
            n("failed")
        ),
    };
    let unanswered = match r["unanswered"].as_i64().unwrap_or(0) {
        0 => String::new(),
        n => format!("; {}", unanswered_calls(n)),
    };
    let text = |k: &str| r[k].as_str().unwrap_or("");
    let changes = match r["changes"].as_i64().unwrap_or(0) {
        // A paused run has changed nothing: "0 changes" beside what it would do read as if
        // it would change nothing. Approved, the run that sent it has its own line.
        _ if r["sent_as"].is_i64() => format!("sent as run {}", r["sent_as"]),
        0 if paused => "nothing sent".to_string(),
        1 => "1 change".to_string(),
        n => format!("{n} changes"),
    };
    format!(
        "{:>4}  {}  {} {} {} {} {counts}; {changes}{unanswered}",
        r["id"].as_i64().unwrap_or(0),
        text("started"),
        padded(text("who"), 10),
        padded(text("command"), 8),
        padded(text("input"), 24),
        padded(text("status"), 11),
    )
}

/// `text` and spaces to `width` columns of a terminal, where a Chinese character takes two:
/// `{:<24}` counts characters, and a file named in Chinese pushed the columns after it. A text
/// wider than its column is cut, ending in `…` (an undo's own file name pushed them too):
/// `history show RUN` and `--json` give it whole.
fn padded(text: &str, width: usize) -> String {
    use unicode_width::UnicodeWidthChar as _;
    let mut used = unicode_width::UnicodeWidthStr::width(text);
    if used <= width {
        return format!("{text}{}", " ".repeat(width - used));
    }
    let mut cut = String::new();
    used = 0;
    for c in text.chars() {
        let w = c.width().unwrap_or(0);
        if used + w + 1 > width {
            break;
        }
        cut.push(c);
        used += w;
    }
    format!("{cut}…{}", " ".repeat(width.saturating_sub(used + 1)))
}

/// What a run's `n` calls never answered are, in both languages.
fn unanswered_calls(n: i64) -> String {
    format!("{n} 个调用没有收到回答,可能已生效 ({n} unanswered, which may have taken effect: bgy undo takes back those that did)")
}

/// The items of a JSON array; none for anything else.
fn array(v: &serde_json::Value) -> &[serde_json::Value] {
    v.as_array().map_or(&[], Vec::as_slice)
}

/// `bgy history show`: one line a change (or a call never answered), with what was sent.
fn change_line(c: &serde_json::Value) -> String {
    let sent: Vec<String> = c["sent"]
        .as_object()
        .map(|m| {
            m.iter()
                .filter(|(k, _)| k.as_str() != "cover")
                .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or_default()))
                .collect()
        })
        .unwrap_or_default();
    line(&format!(
        "{}  {:<8} {:<20} {}",
        c["at"].as_str().unwrap_or(""),
        c["kind"].as_str().unwrap_or(""),
        c["account"].as_str().unwrap_or(""),
        sent.join(" ")
    ))
}

/// A remedy as the terminal says it: the option to add.
pub fn flag(remedy: &Remedy) -> String {
    match remedy {
        Remedy::MapColumn {
            header,
            field: Some(f),
        } => format!(
            "--map '{header}={}' (或在 bgy.toml 的 [columns] 中写 \"{header}\" = \"{}\" / or \"{header}\" = \"{}\" under [columns] in bgy.toml)",
            f.key(),
            f.label(),
            f.label()
        ),
        Remedy::MapColumn {
            header,
            field: None,
        } => format!("--map '{header}=COLUMN', --map '{header}=-' (或 bgy.toml 的 [columns] / or bgy.toml [columns])"),
        // Every command of staff sheets takes it.
        Remedy::CreateDepartments => "--create-departments".into(),
        // A plan and a sync take no --cover (nor does a check): the import does, whichever
        // command said it.
        Remedy::Overwrite => "bgy import FILE --cover overwrite".into(),
        Remedy::Force => "--force".into(),
        Remedy::ChooseSheet { sheet: None } => "--sheet NAME".into(),
        Remedy::ChooseSheet { sheet: Some(s) } => format!("--sheet '{s}'"),
        Remedy::ChooseKind { kind: None } => "--kind staff|times|delete|leave".into(),
        // A check takes the kind; the command that sends that kind reads it as one.
        Remedy::ChooseKind { kind: Some(k) } => format!("bgy check FILE --kind {0}, bgy {0} FILE", k.name()),
        Remedy::Confirm => "--yes".into(),
        Remedy::Ticket => "--ticket / BGY_TICKET".into(),
        Remedy::ServerAddress => "--base-url / BGY_BASE_URL".into(),
        Remedy::SlowDown => "--rate / BGY_RATE".into(),
        Remedy::Recursive => "--recursive".into(),
    }
}

/// The unattended job's commands (`schedule`, and `approve` and `reject`, which plan as it
/// does): they read bgy.toml and take no sheet options.
pub fn unattended(command: &str) -> bool {
    matches!(command, "schedule" | "approve" | "reject")
}

/// A remedy as the unattended job takes it, which reads bgy.toml and no sheet option: the
/// setting, in both languages. None for a remedy it has no setting for (it never imports with
/// --cover, and a waiting run is approved, not forced).
pub fn setting(remedy: &Remedy) -> Option<String> {
    match remedy {
        Remedy::MapColumn {
            header,
            field: Some(f),
        } => Some(format!(
            "在 bgy.toml 的 [columns] 中写 \"{header}\" = \"{0}\" (or \"{header}\" = \"{0}\" under [columns] in bgy.toml)",
            f.label()
        )),
        Remedy::MapColumn {
            header,
            field: None,
        } => Some(format!(
            "在 bgy.toml 的 [columns] 中写 \"{header}\" = \"列名\",或 = \"-\" 不读它 (or \"{header}\" = \"COLUMN\" or \"-\" under [columns] in bgy.toml)"
        )),
        Remedy::CreateDepartments => Some(
            "在 bgy.toml 的 [schedule] 中写 create_departments = true (or create_departments = true under [schedule] in bgy.toml)".into(),
        ),
        Remedy::Ticket | Remedy::ServerAddress | Remedy::SlowDown => Some(flag(remedy)),
        Remedy::Overwrite
        | Remedy::Force
        | Remedy::ChooseSheet { .. }
        | Remedy::ChooseKind { .. }
        | Remedy::Confirm
        | Remedy::Recursive => None,
    }
}

/// ` → OPTION` after a line whose remedy is an option; for the unattended job, ` → SETTING`.
pub fn hint(remedy: Option<&Remedy>, unattended: bool) -> String {
    let said = match remedy {
        Some(r) if unattended => setting(r),
        Some(r) => Some(flag(r)),
        None => None,
    };
    said.map(|s| format!(" → {s}")).unwrap_or_default()
}

/// Ctrl-C, SIGTERM and SIGHUP, for as long as the watch lives. A run that sends is stopped
/// (in-flight calls finish, the report and journal are written) and a second signal quits at
/// once; any other run quits at once, leaving no file it had begun ([`crate::signals`]).
pub fn on_signals(stop: Stop, sends: bool) -> Option<signals::Watch> {
    let mut heard = false;
    let watch = signals::watch(move |signal| {
        let name = signal.name();
        // Nothing to finish before the first call, and at the confirmation nothing was sent.
        if !sends || signals::is_asking() || std::mem::replace(&mut heard, true) {
            say(format!("\nbgy: {name}: 已中断 (stopped at once)"));
            signals::exit_now();
        }
        say(format!("\nbgy: {name}: finishing the calls in flight, then writing the report ({name} again to quit at once)"));
        stop.interrupt_because(signal.reason());
    });
    // Without a watch (no thread could be made) a signal ends bgy as it would any program.
    watch.ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plan_past_one_sheet_says_where_the_rest_of_its_lines_are() {
        let tail = |more: usize| {
            let plan = PlanShown {
                lines: Vec::new(),
                more,
                staff: Default::default(),
                departments: None,
            };
            let said = std::cell::RefCell::new(Vec::new());
            print_plan(&plan, &|line| said.borrow_mut().push(line));
            let said = said.into_inner();
            said.into_iter().find(|l| l.contains("more lines")).unwrap()
        };
        assert_eq!(
            tail(1_048_575),
            "  … 1048575 more lines in the report's 计划 Plan sheet"
        );
        assert_eq!(
            tail(1_048_576),
            "  … 1048576 more lines in the report's 计划 Plan sheet and those after it (计划 Plan 2, …)"
        );
    }

    #[test]
    fn the_history_lines_up_its_columns_whatever_the_file_is_called() {
        let run = |id: i64, input: &str| {
            run_line(&serde_json::json!({
                "id": id, "started": "2026-12-03 21:04:42", "who": "schedule",
                "command": "sync", "input": input, "status": "ok",
                "counts": {"created": 1}, "changes": 1,
            }))
        };
        let column = |line: &str| {
            let at = line.find(" ok ").unwrap();
            unicode_width::UnicodeWidthStr::width(&line[..at])
        };
        let (chinese, latin) = (run(5, "花名册-1206.xlsx"), run(12, "staff.xlsx"));
        assert_eq!(column(&chinese), column(&latin), "{chinese}\n{latin}");
        // Too wide for its column: cut, and the columns after it stay where they are.
        for long in [
            "undo-2-20261205-140630.xlsx",
            "二〇二六年十二月全体员工花名册终版.xlsx",
        ] {
            let line = run(7, long);
            assert_eq!(column(&line), column(&latin), "{line}\n{latin}");
            assert!(line.contains('…'), "{line}");
        }
        assert!(
            chinese.starts_with("   5  ") && latin.starts_with("  12  "),
            "{chinese}"
        );
        assert!(latin.ends_with("; 1 change"), "{latin}");
        let paused = run_line(&serde_json::json!({
            "id": 6, "started": "2026-12-05 14:13:18", "who": "schedule", "command": "sync",
            "input": "花名册-1206.csv", "status": "pending",
            "counts": {"create": 0, "update": 0, "leave": 31, "delete": 0}, "changes": 0,
        }));
        assert!(
            paused
                .ends_with("would: 0 create, 0 update, 31 mark as leavers, 0 delete; nothing sent"),
            "{paused}"
        );
        let approved = run_line(&serde_json::json!({
            "id": 6, "status": "approved", "sent_as": 7, "changes": 31,
            "counts": {"create": 0, "update": 0, "leave": 31, "delete": 0},
        }));
        assert!(approved.ends_with("; sent as run 7"), "{approved}");
    }
}
