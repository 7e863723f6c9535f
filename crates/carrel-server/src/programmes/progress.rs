//! Where a learner stands in a programme, from their certificates: pure functions of the
//! programme, the certificates and the time, so every rule is tested without a clock.
//!
//! **Windows.** A certificate counts from its issue until its `window_years` anniversary
//! ([`anniversary`]: the same UTC date and time, that many calendar years later; 29 February
//! goes to 28 February in a year without one). At its anniversary it no longer counts. Several
//! certificates were issued "within one span of `window_years`" when the latest was issued before
//! the earliest one's anniversary: at that moment they all counted together.
//!
//! **Completion** is looked for at each certificate's issue, oldest first: the first moment at
//! which the certificates counting include `required` distinct eligible courses and the capstone
//! (if any) is when the programme was completed. Only issues can complete it (expiries only take
//! away), so this finds the earliest completion, whatever was earned since. A completed programme
//! shows the certificates that counted at that moment and nothing expires. Revoked certificates
//! never count, so revoking one can make a programme incomplete again.
//!
//! **Progress** of a programme not complete is what counts now: the certificates whose
//! anniversary is still ahead (one issued a moment "in the future", by a server clock set back,
//! counts too). `next_expiry_ms` is the earliest anniversary among them, the capstone's included:
//! when the learner loses something unless they earn more.

use carrel_protocol::transcript::{ProgrammeCourse, ProgrammeProgress};

use super::Programme;

/// A certificate of the learner as programmes count it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Earned {
    /// Its id.
    pub certificate_id: String,
    /// Its course.
    pub course_id: String,
    /// When it was issued (ms since the epoch).
    pub issued_ms: u64,
    /// Whether it was revoked: then it never counts.
    pub revoked: bool,
}

/// `issued_ms` plus `years` calendar years, in UTC: the same time of day on the same date
/// `years` later (29 February becomes 28 February in a year without one). A result past what
/// the calendar holds (year 9999) is `u64::MAX`: never.
pub fn anniversary(issued_ms: u64, years: u32) -> u64 {
    use jiff::tz::TimeZone;
    i64::try_from(issued_ms)
        .ok()
        .and_then(|ms| jiff::Timestamp::from_millisecond(ms).ok())
        .and_then(|issued| {
            let civil = TimeZone::UTC.to_datetime(issued);
            civil.checked_add(jiff::Span::new().years(years)).ok()
        })
        .and_then(|later| TimeZone::UTC.to_timestamp(later).ok())
        .and_then(|later| u64::try_from(later.as_millisecond()).ok())
        .unwrap_or(u64::MAX)
}

/// A certificate that may count towards the programme, with its anniversary.
#[derive(Debug, Clone, Copy)]
struct Candidate<'a> {
    earned: &'a Earned,
    expires_ms: u64,
}

impl Candidate<'_> {
    /// Whether it counts at `at_ms` (issued by then, not yet at its anniversary).
    fn counts_at(&self, at_ms: u64) -> bool {
        self.earned.issued_ms <= at_ms && at_ms < self.expires_ms
    }
}

/// The certificates counting at one moment: per eligible course (in the programme's order) and
/// for the capstone, the latest counting certificate of it.
struct Counting<'a> {
    eligible: Vec<Option<Candidate<'a>>>,
    capstone: Option<Candidate<'a>>,
}

impl<'a> Counting<'a> {
    /// What counts among `candidates` for `programme` by `counts`.
    fn select(
        programme: &Programme,
        candidates: &[Candidate<'a>],
        counts: impl Fn(&Candidate<'a>) -> bool,
    ) -> Self {
        let latest = |course_id: &str| {
            candidates
                .iter()
                .filter(|candidate| candidate.earned.course_id == course_id && counts(candidate))
                .max_by_key(|candidate| candidate.earned.issued_ms)
                .copied()
        };
        Self {
            eligible: programme
                .eligible
                .iter()
                .map(|course_id| latest(course_id))
                .collect(),
            capstone: programme.capstone.as_deref().and_then(latest),
        }
    }

    /// Eligible courses with a counting certificate.
    fn eligible_count(&self) -> usize {
        self.eligible.iter().flatten().count()
    }

    /// Whether this meets every requirement of `programme`.
    fn meets(&self, programme: &Programme) -> bool {
        self.eligible_count() >= programme.required as usize
            && (programme.capstone.is_none() || self.capstone.is_some())
    }
}

/// The learner's progress in `programme` at `now_ms`, from every certificate they hold
/// (`earned`, any course, revoked ones included), with each course's title from `title_of`.
pub fn progress(
    programme: &Programme,
    title_of: impl Fn(&str) -> String,
    earned: &[Earned],
    now_ms: u64,
) -> ProgrammeProgress {
    let years = programme.window_years;
    let mut candidates: Vec<Candidate<'_>> = earned
        .iter()
        .filter(|earned| {
            !earned.revoked
                && (programme.eligible.contains(&earned.course_id)
                    || programme.capstone.as_ref() == Some(&earned.course_id))
        })
        .map(|earned| Candidate {
            earned,
            expires_ms: anniversary(earned.issued_ms, years),
        })
        .collect();
    candidates.sort_by_key(|candidate| candidate.earned.issued_ms);

    let completed_ms = candidates
        .iter()
        .map(|candidate| candidate.earned.issued_ms)
        .find(|&at_ms| {
            Counting::select(programme, &candidates, |candidate| {
                candidate.counts_at(at_ms)
            })
            .meets(programme)
        });
    let counting = match completed_ms {
        Some(at_ms) => Counting::select(programme, &candidates, |candidate| {
            candidate.counts_at(at_ms)
        }),
        None => Counting::select(programme, &candidates, |candidate| {
            now_ms < candidate.expires_ms
        }),
    };
    let complete = completed_ms.is_some();
    let course = |course_id: &str, counting: Option<Candidate<'_>>| ProgrammeCourse {
        course_id: course_id.to_owned(),
        title: title_of(course_id),
        certificate_id: counting.map(|candidate| candidate.earned.certificate_id.clone()),
        issued_ms: counting.map(|candidate| candidate.earned.issued_ms),
        expires_ms: counting
            .filter(|_| !complete)
            .map(|candidate| candidate.expires_ms),
    };
    let next_expiry_ms = if complete {
        None
    } else {
        counting
            .eligible
            .iter()
            .chain(std::iter::once(&counting.capstone))
            .flatten()
            .map(|candidate| candidate.expires_ms)
            .min()
    };
    ProgrammeProgress {
        programme_id: programme.programme_id.clone(),
        title: programme.title.clone(),
        description: programme.description.clone(),
        required: programme.required,
        window_years: years,
        eligible: programme
            .eligible
            .iter()
            .zip(&counting.eligible)
            .map(|(course_id, counting)| course(course_id, *counting))
            .collect(),
        capstone: programme
            .capstone
            .as_deref()
            .map(|course_id| course(course_id, counting.capstone)),
        counted: u32::try_from(counting.eligible_count())
            .unwrap_or(u32::MAX)
            .min(programme.required),
        complete,
        completed_ms,
        next_expiry_ms,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `YYYY-MM-DDTHH:MM:SSZ` (or with milliseconds) in ms since the epoch.
    fn at(utc: &str) -> u64 {
        let at: jiff::Timestamp = utc.parse().unwrap();
        at.as_millisecond() as u64
    }

    /// Certificate `id` of `course` issued at `utc`.
    fn cert(id: &str, course: &str, utc: &str) -> Earned {
        Earned {
            certificate_id: id.into(),
            course_id: course.into(),
            issued_ms: at(utc),
            revoked: false,
        }
    }

    /// `required` of courses a, b, c within `years`, with capstone `z` if `capstone`.
    fn programme(required: u32, years: u32, capstone: bool) -> Programme {
        Programme {
            programme_id: "diploma".into(),
            title: "Diploma".into(),
            description: String::new(),
            eligible: vec!["a".into(), "b".into(), "c".into()],
            required,
            window_years: years,
            capstone: capstone.then(|| "z".into()),
        }
    }

    /// Progress with every course titled by its upper-case id.
    fn run(programme: &Programme, earned: &[Earned], now: &str) -> ProgrammeProgress {
        progress(programme, str::to_uppercase, earned, at(now))
    }

    /// The certificate id shown for each eligible course ("-" for none).
    fn shown(progress: &ProgrammeProgress) -> Vec<String> {
        progress
            .eligible
            .iter()
            .map(|course| course.certificate_id.clone().unwrap_or_else(|| "-".into()))
            .collect()
    }

    #[test]
    fn an_anniversary_is_the_same_utc_date_and_time_years_later() {
        // The night Europe moves its clocks forward: UTC knows nothing of it.
        assert_eq!(
            anniversary(at("2026-03-29T01:30:00Z"), 1),
            at("2027-03-29T01:30:00Z")
        );
        assert_eq!(
            anniversary(at("2026-03-29T01:30:00Z"), 1) - at("2026-03-29T01:30:00Z"),
            365 * 86_400_000,
            "exactly 365 days of 24 hours, whatever any zone did meanwhile"
        );
        assert_eq!(
            anniversary(at("2027-06-01T00:00:00Z"), 1) - at("2027-06-01T00:00:00Z"),
            366 * 86_400_000,
            "a year holding 29 February has 366 days"
        );
        assert_eq!(
            anniversary(at("2026-10-25T00:59:59.123Z"), 3),
            at("2029-10-25T00:59:59.123Z"),
            "milliseconds are kept"
        );
        assert_eq!(
            anniversary(at("2026-12-31T23:59:59.999Z"), 50),
            at("2076-12-31T23:59:59.999Z")
        );
    }

    #[test]
    fn the_29th_of_february_comes_back_on_the_28th_except_in_leap_years() {
        let leap_day = at("2024-02-29T12:00:00Z");
        assert_eq!(anniversary(leap_day, 1), at("2025-02-28T12:00:00Z"));
        assert_eq!(anniversary(leap_day, 3), at("2027-02-28T12:00:00Z"));
        assert_eq!(anniversary(leap_day, 4), at("2028-02-29T12:00:00Z"));
        assert_eq!(
            anniversary(at("2023-03-01T00:00:00Z"), 1),
            at("2024-03-01T00:00:00Z"),
            "1 March stays 1 March"
        );
    }

    #[test]
    fn an_anniversary_past_the_calendar_is_never() {
        assert_eq!(anniversary(at("9990-01-01T00:00:00Z"), 50), u64::MAX);
        assert_eq!(anniversary(u64::MAX, 1), u64::MAX);
    }

    #[test]
    fn progress_counts_the_certificates_of_the_window_ending_now() {
        let programme = programme(3, 2, false);
        let earned = [
            cert("old-a", "a", "2020-05-01T00:00:00Z"),
            cert("b1", "b", "2025-01-10T08:00:00Z"),
            cert("other", "x", "2025-02-01T00:00:00Z"),
        ];
        let progress = run(&programme, &earned, "2026-01-01T00:00:00Z");
        assert!(!progress.complete);
        assert_eq!(progress.completed_ms, None);
        assert_eq!(
            progress.counted, 1,
            "a certificate older than the window, or of another course, does not count"
        );
        assert_eq!(shown(&progress), ["-", "b1", "-"]);
        let b = &progress.eligible[1];
        assert_eq!(b.title, "B");
        assert_eq!(b.issued_ms, Some(at("2025-01-10T08:00:00Z")));
        assert_eq!(b.expires_ms, Some(at("2027-01-10T08:00:00Z")));
        assert_eq!(progress.next_expiry_ms, b.expires_ms);
        assert_eq!(progress.eligible[0].expires_ms, None);
        assert_eq!(progress.capstone, None);
        assert_eq!((progress.required, progress.window_years), (3, 2));

        // At its anniversary, to the millisecond, it stops counting.
        let progress = run(&programme, &earned, "2027-01-10T08:00:00Z");
        assert_eq!((progress.counted, progress.next_expiry_ms), (0, None));
        let progress = run(&programme, &earned, "2027-01-10T07:59:59.999Z");
        assert_eq!(progress.counted, 1, "a millisecond before, it still counts");
    }

    #[test]
    fn the_next_expiry_is_the_oldest_counting_certificate_s_anniversary() {
        let programme = programme(3, 1, true);
        let earned = [
            cert("c1", "c", "2026-03-01T00:00:00Z"),
            cert("z1", "z", "2026-02-01T00:00:00Z"),
            cert("a1", "a", "2026-04-01T00:00:00Z"),
        ];
        let progress = run(&programme, &earned, "2026-06-01T00:00:00Z");
        assert!(!progress.complete, "b is missing");
        assert_eq!(progress.counted, 2);
        assert_eq!(
            progress.next_expiry_ms,
            Some(at("2027-02-01T00:00:00Z")),
            "the capstone's loss is the first thing to happen"
        );
        let capstone = progress.capstone.as_ref().unwrap();
        assert_eq!(capstone.certificate_id.as_deref(), Some("z1"));
        assert_eq!(capstone.expires_ms, Some(at("2027-02-01T00:00:00Z")));
        assert_eq!(capstone.title, "Z");
    }

    #[test]
    fn a_programme_is_complete_when_everything_counted_together_and_stays_so() {
        let programme = programme(2, 3, false);
        let earned = [
            cert("a1", "a", "2020-01-15T00:00:00Z"),
            cert("b1", "b", "2021-06-01T00:00:00Z"),
            cert("c1", "c", "2025-01-01T00:00:00Z"),
        ];
        // Long after, with a later certificate too: completed when b was issued.
        let progress = run(&programme, &earned, "2030-01-01T00:00:00Z");
        assert!(progress.complete);
        assert_eq!(progress.completed_ms, Some(at("2021-06-01T00:00:00Z")));
        assert_eq!(progress.counted, 2);
        assert_eq!(
            shown(&progress),
            ["a1", "b1", "-"],
            "the certificates that completed it"
        );
        assert!(
            progress
                .eligible
                .iter()
                .all(|course| course.expires_ms.is_none()),
            "nothing expires from a complete programme"
        );
        assert_eq!(progress.next_expiry_ms, None);
    }

    #[test]
    fn completion_is_found_in_a_later_window_when_the_first_ones_fall_short() {
        let programme = programme(2, 3, false);
        let earned = [
            cert("a1", "a", "2015-01-01T00:00:00Z"),
            cert("b1", "b", "2019-01-01T00:00:00Z"),
            cert("c1", "c", "2021-06-30T00:00:00Z"),
        ];
        let progress = run(&programme, &earned, "2026-01-01T00:00:00Z");
        assert_eq!(progress.completed_ms, Some(at("2021-06-30T00:00:00Z")));
        assert_eq!(shown(&progress), ["-", "b1", "c1"]);
    }

    #[test]
    fn revoked_certificates_never_count() {
        let programme = programme(2, 5, false);
        let mut earned = vec![
            cert("a1", "a", "2025-01-01T00:00:00Z"),
            cert("b1", "b", "2025-02-01T00:00:00Z"),
        ];
        assert!(run(&programme, &earned, "2025-06-01T00:00:00Z").complete);
        earned[1].revoked = true;
        let progress = run(&programme, &earned, "2025-06-01T00:00:00Z");
        assert!(!progress.complete, "a revocation undoes the completion");
        assert_eq!(progress.counted, 1);
        assert_eq!(shown(&progress), ["a1", "-", "-"]);
        assert_eq!(progress.next_expiry_ms, Some(at("2030-01-01T00:00:00Z")));
    }

    #[test]
    fn the_capstone_is_needed_within_the_same_window() {
        let programme = programme(2, 2, true);
        let mut earned = vec![
            cert("z1", "z", "2020-01-01T00:00:00Z"),
            cert("a1", "a", "2023-01-01T00:00:00Z"),
            cert("b1", "b", "2023-02-01T00:00:00Z"),
        ];
        let progress = run(&programme, &earned, "2023-03-01T00:00:00Z");
        assert!(
            !progress.complete,
            "the capstone expired before the others were earned"
        );
        assert_eq!(progress.counted, 2, "counted is the eligible ones only");
        let capstone = progress.capstone.as_ref().unwrap();
        assert_eq!(capstone.certificate_id, None);
        assert_eq!(progress.next_expiry_ms, Some(at("2025-01-01T00:00:00Z")));

        earned.push(cert("z2", "z", "2024-06-01T00:00:00Z"));
        let progress = run(&programme, &earned, "2030-01-01T00:00:00Z");
        assert_eq!(
            progress.completed_ms,
            Some(at("2024-06-01T00:00:00Z")),
            "the capstone completed it"
        );
        assert_eq!(
            progress.capstone.unwrap().certificate_id.as_deref(),
            Some("z2")
        );

        let missing = run(&programme, &earned[1..3], "2023-03-01T00:00:00Z");
        assert!(!missing.complete, "without the capstone it is not complete");
        assert_eq!(missing.counted, 2);
    }

    #[test]
    fn at_most_required_are_counted() {
        let programme = programme(2, 5, true);
        let earned = [
            cert("a1", "a", "2025-01-01T00:00:00Z"),
            cert("b1", "b", "2025-02-01T00:00:00Z"),
            cert("c1", "c", "2025-03-01T00:00:00Z"),
        ];
        let progress = run(&programme, &earned, "2025-06-01T00:00:00Z");
        assert!(!progress.complete);
        assert_eq!(progress.counted, 2);
        assert_eq!(
            shown(&progress),
            ["a1", "b1", "c1"],
            "every counting one is shown"
        );
    }

    #[test]
    fn ties_certificates_issued_together_complete_together_but_an_anniversary_is_too_late() {
        let programme = programme(2, 1, false);
        let together = [
            cert("a1", "a", "2025-01-01T00:00:00Z"),
            cert("b1", "b", "2025-01-01T00:00:00Z"),
        ];
        let progress = run(&programme, &together, "2025-01-01T00:00:00Z");
        assert!(progress.complete, "issued in the same millisecond");
        assert_eq!(progress.completed_ms, Some(at("2025-01-01T00:00:00Z")));

        let on_the_anniversary = [
            cert("a1", "a", "2024-02-29T10:00:00Z"),
            cert("b1", "b", "2025-02-28T10:00:00Z"),
        ];
        let progress = run(&programme, &on_the_anniversary, "2025-02-28T10:00:00Z");
        assert!(
            !progress.complete,
            "issued when the first stopped counting: not within one year"
        );
        assert_eq!(shown(&progress), ["-", "b1", "-"]);
        let just_before = [
            cert("a1", "a", "2024-02-29T10:00:00Z"),
            cert("b1", "b", "2025-02-28T09:59:59.999Z"),
        ];
        let progress = run(&programme, &just_before, "2026-01-01T00:00:00Z");
        assert_eq!(
            progress.completed_ms,
            Some(at("2025-02-28T09:59:59.999Z")),
            "a millisecond before the anniversary is within the year"
        );
    }

    #[test]
    fn a_certificate_from_a_clock_set_back_counts() {
        let programme = programme(2, 1, false);
        let earned = [cert("a1", "a", "2025-01-01T00:00:10Z")];
        let progress = run(&programme, &earned, "2025-01-01T00:00:00Z");
        assert_eq!(
            progress.counted, 1,
            "issued 10 s after now by the server's clock"
        );
        assert_eq!(shown(&progress), ["a1", "-", "-"]);
        assert_eq!(progress.next_expiry_ms, Some(at("2026-01-01T00:00:10Z")));
    }
}
