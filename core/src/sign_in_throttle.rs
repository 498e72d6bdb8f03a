//! How many password guesses the console lets through: per account and per client address,
//! failures counted in a window; past a first threshold each further try must wait longer (the
//! wait doubles), past a second the key is refused for a while. A refused try gets the same
//! answer as a wrong password, so a guesser learns nothing from it.

/// The thresholds of one kind of key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Failures (in the window) after which each further try waits.
    pub slow_after: u32,
    /// Failures (in the window) after which tries are refused for `lock_for`.
    pub lock_after: u32,
    /// Seconds over which failures are counted, from the first.
    pub window: i64,
    /// Seconds a locked key stays locked after its last failure.
    pub lock_for: i64,
    /// The longest wait between tries while slowed.
    pub max_wait: i64,
}

/// One account: 5 failures in 15 minutes slow it down, 20 lock it for 15 minutes.
pub const ACCOUNT: Limits = Limits { slow_after: 5, lock_after: 20, window: 900, lock_for: 900, max_wait: 60 };
/// One client address, which an office or a VPN shares: higher thresholds, same shape.
pub const ADDRESS: Limits = Limits { slow_after: 20, lock_after: 100, window: 900, lock_for: 900, max_wait: 60 };

/// The public install-link pages, per client address: every request counts; 60 in 15 minutes
/// lock the address out of them for 15 minutes (a link's token cannot be guessed, but a flood of
/// tries would still read the table).
pub const PUBLIC_LINKS: Limits = Limits { slow_after: 60, lock_after: 60, window: 900, lock_for: 900, max_wait: 0 };

/// The failures recorded for a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Failures {
    pub count: u32,
    /// When the first failure of the window was (Unix seconds).
    pub first: i64,
    /// When the last one was.
    pub last: i64,
}

/// What a new try of a key gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Allow,
    /// Too soon after the last failure: this many more seconds.
    Wait(i64),
    /// Locked until this time.
    Locked(i64),
}

impl Verdict {
    pub fn allows(self) -> bool {
        self == Verdict::Allow
    }
}

/// A change worth an audit event: the key has just been slowed down or locked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    Slowed,
    Locked,
}

impl Limits {
    /// Whether the window of `f` is over (and a new failure starts a new count). A lock outlasts
    /// the window: it ends `lock_for` after the last failure.
    pub fn is_over(&self, f: &Failures, now: i64) -> bool {
        if f.count >= self.lock_after {
            now >= f.last + self.lock_for
        } else {
            now >= f.first + self.window
        }
    }

    /// The wait after `count` failures: 1 s at the first threshold, doubling, at most `max_wait`.
    pub fn wait_after(&self, count: u32) -> i64 {
        if count < self.slow_after {
            return 0;
        }
        let doublings = (count - self.slow_after).min(16);
        (1_i64 << doublings).min(self.max_wait)
    }

    pub fn verdict(&self, failures: Option<&Failures>, now: i64) -> Verdict {
        let Some(f) = failures.filter(|f| !self.is_over(f, now)) else { return Verdict::Allow };
        if f.count >= self.lock_after {
            return Verdict::Locked(f.last + self.lock_for);
        }
        let ready = f.last + self.wait_after(f.count);
        if now < ready {
            Verdict::Wait(ready - now)
        } else {
            Verdict::Allow
        }
    }

    /// What reaching `count` failures means, if anything new.
    pub fn transition(&self, count: u32) -> Option<Transition> {
        if count == self.lock_after {
            Some(Transition::Locked)
        } else if count == self.slow_after {
            Some(Transition::Slowed)
        } else {
            None
        }
    }

    /// How long a key's record must be kept: until its window or lock is surely over.
    pub fn keep_for(&self) -> i64 {
        self.window.max(self.lock_for) + self.window
    }
}

/// The stricter of two verdicts (an account's and an address's).
pub fn stricter(a: Verdict, b: Verdict) -> Verdict {
    match (a, b) {
        (Verdict::Locked(x), Verdict::Locked(y)) => Verdict::Locked(x.max(y)),
        (l @ Verdict::Locked(_), _) | (_, l @ Verdict::Locked(_)) => l,
        (Verdict::Wait(x), Verdict::Wait(y)) => Verdict::Wait(x.max(y)),
        (w @ Verdict::Wait(_), _) | (_, w @ Verdict::Wait(_)) => w,
        _ => Verdict::Allow,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn after(count: u32, first: i64, last: i64) -> Failures {
        Failures { count, first, last }
    }

    #[test]
    fn a_few_failures_change_nothing() {
        assert_eq!(ACCOUNT.verdict(None, 0), Verdict::Allow);
        assert_eq!(ACCOUNT.verdict(Some(&after(4, 0, 10)), 10), Verdict::Allow);
    }

    #[test]
    fn past_the_first_threshold_each_try_waits_longer() {
        assert_eq!(ACCOUNT.verdict(Some(&after(5, 0, 100)), 100), Verdict::Wait(1));
        assert_eq!(ACCOUNT.verdict(Some(&after(5, 0, 100)), 101), Verdict::Allow);
        assert_eq!(ACCOUNT.verdict(Some(&after(7, 0, 100)), 100), Verdict::Wait(4));
        assert_eq!(ACCOUNT.verdict(Some(&after(19, 0, 100)), 100), Verdict::Wait(60), "capped");
    }

    #[test]
    fn past_the_second_threshold_the_key_is_locked_for_a_quarter_hour_after_the_last_failure() {
        let f = after(20, 0, 300);
        assert_eq!(ACCOUNT.verdict(Some(&f), 301), Verdict::Locked(1200));
        assert_eq!(ACCOUNT.verdict(Some(&f), 1000), Verdict::Locked(1200), "the window is over, the lock is not");
        assert_eq!(ACCOUNT.verdict(Some(&f), 1200), Verdict::Allow);
        assert!(ACCOUNT.is_over(&f, 1200));
    }

    #[test]
    fn failures_outside_the_window_are_forgotten() {
        let f = after(12, 0, 800);
        assert!(!ACCOUNT.verdict(Some(&f), 801).allows());
        assert_eq!(ACCOUNT.verdict(Some(&f), 900), Verdict::Allow);
        assert!(ACCOUNT.is_over(&f, 900));
    }

    #[test]
    fn thresholds_are_announced_once() {
        assert_eq!(ACCOUNT.transition(4), None);
        assert_eq!(ACCOUNT.transition(5), Some(Transition::Slowed));
        assert_eq!(ACCOUNT.transition(6), None);
        assert_eq!(ACCOUNT.transition(20), Some(Transition::Locked));
        assert_eq!(ACCOUNT.transition(21), None);
    }

    #[test]
    fn the_stricter_verdict_wins() {
        assert_eq!(stricter(Verdict::Allow, Verdict::Wait(3)), Verdict::Wait(3));
        assert_eq!(stricter(Verdict::Locked(9), Verdict::Wait(3)), Verdict::Locked(9));
        assert_eq!(stricter(Verdict::Allow, Verdict::Allow), Verdict::Allow);
    }
}
