//! Process-tree memory on Linux, read from `/proc`: the app and every process it started (WebKit's
//! web and network processes), which is what a user's task manager adds up.

use std::collections::BTreeMap;
use std::path::Path;

/// `(pid, parent pid, command name)` of every process visible in `/proc`.
fn processes() -> Vec<(u32, u32, String)> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(Result::ok)
        .filter_map(|entry| entry.file_name().to_str()?.parse::<u32>().ok())
        .filter_map(|pid| {
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
            // The command name is in parentheses and may itself contain spaces or parentheses.
            let open = stat.find('(')?;
            let close = stat.rfind(')')?;
            let name = stat[open + 1..close].to_owned();
            let ppid = stat[close + 1..].split_whitespace().nth(1)?.parse().ok()?;
            Some((pid, ppid, name))
        })
        .collect()
}

/// `pid` and all its descendants.
pub fn tree(pid: u32) -> Vec<u32> {
    let mut children: BTreeMap<u32, Vec<u32>> = BTreeMap::new();
    for (child, parent, _) in processes() {
        children.entry(parent).or_default().push(child);
    }
    let mut out = vec![pid];
    let mut index = 0;
    while index < out.len() {
        if let Some(kids) = children.get(&out[index]) {
            out.extend(kids);
        }
        index += 1;
    }
    out
}

/// Resident memory of one process in bytes (`VmRSS`), 0 if it is gone.
pub fn rss_bytes(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|line| line.strip_prefix("VmRSS:"))
                .and_then(|rest| rest.split_whitespace().next()?.parse::<u64>().ok())
        })
        .map_or(0, |kib| kib * 1024)
}

/// Resident memory of `pid` and all its descendants, in bytes.
pub fn tree_rss_bytes(pid: u32) -> u64 {
    tree(pid).into_iter().map(rss_bytes).sum()
}

/// The first process under `ancestor` whose executable is `binary`.
pub fn find_descendant_running(ancestor: u32, binary: &Path) -> Option<u32> {
    let wanted = binary.canonicalize().ok()?;
    tree(ancestor)
        .into_iter()
        .find(|pid| std::fs::read_link(format!("/proc/{pid}/exe")).is_ok_and(|exe| exe == wanted))
}
