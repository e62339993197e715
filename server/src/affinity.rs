//! CPU affinity from Redis's `*_cpulist` parameters (Redis's `setcpuaffinity.c`).
//!
//! Redis pins its threads with lists in taskset's syntax: `0,2,3`, `0-3`,
//! `0-20:2` (every second CPU from 0 to 20). `server_cpulist` pins the main
//! thread once start-up is done, and what it spawns later inherits it;
//! `bgsave_cpulist` pins the fork child of BGSAVE and of a full sync. redrill
//! has no child: its save runs on a writer thread and that thread's I/O thread,
//! so `bgsave_cpulist` pins those two.
//!
//! As in Redis, a list that does not parse leaves the affinity as it was, and
//! so does one the kernel refuses (no online CPU in it). Redis says nothing
//! either way; redrill logs a list that does not parse, and a refused
//! `server_cpulist`, at `verbose`. CPUs from [`MAX_CPUS`] up are left out, as
//! glibc's `CPU_SET` leaves them.

/// CPUs a list can name: glibc's `CPU_SETSIZE`.
pub const MAX_CPUS: usize = 1024;

/// A set of CPUs, in the kernel's `cpu_set_t` layout.
#[derive(Clone, PartialEq, Eq)]
pub struct CpuSet([u64; MAX_CPUS / 64]);

impl std::fmt::Debug for CpuSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.cpus()).finish()
    }
}

impl CpuSet {
    /// Parses a taskset-style list; `None` when Redis would not apply it.
    pub fn parse(list: &str) -> Option<CpuSet> {
        let mut set = CpuSet([0; MAX_CPUS / 64]);
        for item in list.split(',') {
            let (first, last, stride) = match item.split_once('-') {
                Some((first, rest)) => {
                    let (last, stride) = match rest.split_once(':') {
                        Some((last, stride)) => (last, number(stride)?),
                        None => (rest, 1),
                    };
                    (number(first)?, number(last)?, stride)
                }
                // A lone CPU; a stride needs a range to step through.
                None => {
                    let cpu = number(item)?;
                    (cpu, cpu, 1)
                }
            };
            if stride == 0 || first > last {
                return None;
            }
            // CPUs past the set's end are dropped, so a huge range costs no
            // more than MAX_CPUS steps.
            let last = last.min(MAX_CPUS as u64 - 1);
            let mut cpu = first;
            while cpu <= last {
                set.0[cpu as usize / 64] |= 1 << (cpu % 64);
                cpu = cpu.saturating_add(stride);
            }
        }
        Some(set)
    }

    /// The CPUs in the set, lowest first.
    pub fn cpus(&self) -> impl Iterator<Item = usize> + '_ {
        (0..MAX_CPUS).filter(|&cpu| self.0[cpu / 64] & (1 << (cpu % 64)) != 0)
    }

    /// Pins the calling thread to the set; the kernel's error when refused.
    #[allow(unsafe_code)]
    pub fn pin_this_thread(&self) -> std::io::Result<()> {
        // SAFETY: the pointer and length describe `self.0`, which lives for
        // the call and has cpu_set_t's size and layout (an array of unsigned
        // longs, one bit per CPU); the kernel only reads it. Pid 0 names the
        // calling thread.
        let rc = unsafe {
            libc::sched_setaffinity(
                0,
                std::mem::size_of_val(&self.0),
                self.0.as_ptr().cast::<libc::cpu_set_t>(),
            )
        };
        if rc == 0 {
            Ok(())
        } else {
            Err(std::io::Error::last_os_error())
        }
    }
}

/// A decimal CPU number, digits only (no sign, no spaces).
fn number(text: &str) -> Option<u64> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    // Too many digits for a u64: far past the set, so the CPU is dropped.
    Some(text.parse().unwrap_or(u64::MAX))
}

/// A `*_cpulist` value read as Redis's `redisSetCpuAffinity` reads it:
/// `Ok(None)` when empty (leave the affinity alone), `Err` with what to log
/// when it is not a list (Redis leaves the affinity alone then too).
pub fn from_config(name: &str, list: &str) -> Result<Option<CpuSet>, String> {
    if list.is_empty() {
        return Ok(None);
    }
    CpuSet::parse(list)
        .map(Some)
        .ok_or_else(|| format!("{name} '{list}' is not a CPU list; affinity unchanged"))
}

/// Pins the calling thread as `list` says; what to log when it did not.
pub fn apply(name: &str, list: &str) -> Option<String> {
    match from_config(name, list) {
        Ok(None) => None,
        Ok(Some(set)) => set
            .pin_this_thread()
            .err()
            .map(|e| format!("{name} '{list}' refused by the kernel ({e}); affinity unchanged")),
        Err(e) => Some(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn cpus(list: &str) -> Option<Vec<usize>> {
        CpuSet::parse(list).map(|s| s.cpus().collect())
    }

    /// The calling thread's allowed CPUs, as the kernel lists them.
    fn allowed() -> String {
        let status = std::fs::read_to_string("/proc/thread-self/status").unwrap();
        status
            .lines()
            .find_map(|l| l.strip_prefix("Cpus_allowed_list:"))
            .unwrap()
            .trim()
            .to_string()
    }

    #[test]
    fn taskset_lists_parse() {
        assert_eq!(cpus("0"), Some(vec![0]));
        assert_eq!(cpus("0,2,3"), Some(vec![0, 2, 3]));
        assert_eq!(cpus("0,2-3"), Some(vec![0, 2, 3]));
        assert_eq!(cpus("0-10:3"), Some(vec![0, 3, 6, 9]));
        assert_eq!(cpus("5-5,1"), Some(vec![1, 5]));
        assert_eq!(cpus("1022-99999999999999999999999"), Some(vec![1022, 1023]));
        assert_eq!(cpus("2000"), Some(vec![]));
        assert_eq!(cpus("0-5:18446744073709551615"), Some(vec![0]));
    }

    #[test]
    fn malformed_lists_are_refused() {
        for bad in [
            "", ",", "0,", "a", "-1", "3-1", "0-4:0", "0-4:", "1:2", " 1", "1 ", "0x1", "1-2-3",
            "+1",
        ] {
            assert_eq!(cpus(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn a_thread_is_pinned_and_a_bad_list_changes_nothing() {
        std::thread::spawn(|| {
            let before = allowed();
            assert_eq!(apply("bgsave_cpulist", ""), None);
            assert!(apply("bgsave_cpulist", "0-")
                .unwrap()
                .contains("not a CPU list"));
            // Only CPUs this machine does not have: the kernel refuses.
            assert!(apply("bgsave_cpulist", "1023").unwrap().contains("refused"));
            assert_eq!(allowed(), before);
            // The first CPU this test may use (a container may not allow 0).
            let first: String = before.chars().take_while(char::is_ascii_digit).collect();
            assert_eq!(apply("bgsave_cpulist", &first), None);
            assert_eq!(allowed(), first);
        })
        .join()
        .unwrap();
    }

    proptest! {
        /// Against a model: every CPU a well-formed list names, and no other.
        #[test]
        fn lists_match_a_model(items in prop::collection::vec((0u64..1100, 0u64..40, 1u64..9), 1..6)) {
            let mut model = std::collections::BTreeSet::new();
            let text: Vec<String> = items
                .iter()
                .map(|&(first, len, stride)| {
                    let mut cpu = first;
                    while cpu <= first + len {
                        if cpu < MAX_CPUS as u64 {
                            model.insert(cpu as usize);
                        }
                        cpu += stride;
                    }
                    format!("{first}-{}:{stride}", first + len)
                })
                .collect();
            let got = cpus(&text.join(",")).unwrap();
            prop_assert_eq!(got, model.into_iter().collect::<Vec<_>>());
        }

        /// Any text: a set or None, never a panic.
        #[test]
        fn any_text_parses_or_is_refused(text in "[-0-9,: ]{0,24}") {
            let _ = CpuSet::parse(&text);
        }
    }
}
