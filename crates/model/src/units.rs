//! How treatment minutes become billable units.
//!
//! Two methods exist and a payer chooses one:
//! - Medicare's total-time "8-minute rule" pools the minutes of every 15-minute
//!   timed code on a day, converts the total to units, then allocates those
//!   units across codes (CMS 100-04 ch.5 20.2).
//! - The AMA/CPT midpoint rule counts each code on its own: a unit is attained
//!   when the midpoint of the unit is passed.

/// Fewest minutes that earn a 15-minute unit.
pub const MINIMUM_MINUTES: u32 = 8;

/// Length of a timed unit, in minutes.
pub const UNIT_MINUTES: u32 = 15;

/// Units for the total timed minutes of a day under Medicare's 8-minute rule.
///
/// 8-22 minutes is 1 unit, 23-37 is 2, and so on past two hours (CMS 100-04 ch.5 20.2 table).
pub fn total_time_units(total_minutes: u32) -> u32 {
    if total_minutes < MINIMUM_MINUTES { 0 } else { total_minutes.saturating_add(7) / UNIT_MINUTES }
}

/// Units for one code under the AMA/CPT midpoint rule, for a code whose unit
/// is `unit_minutes` long (15 for most therapy codes, 30 for some).
///
/// A unit is attained when its midpoint is passed: for 15-minute codes
/// 8-22 is 1 unit and 23-37 is 2; for 30-minute codes 16-45 is 1 and 46-75 is 2.
pub fn midpoint_units(minutes: u32, unit_minutes: u32) -> u32 {
    let twice = u64::from(minutes) * 2;
    let unit = u64::from(unit_minutes);
    if unit == 0 || twice <= unit {
        return 0;
    }
    // The nth unit is attained once minutes exceed (n - 1) * unit + unit / 2.
    let units = (twice - unit - 1) / (2 * unit) + 1;
    u32::try_from(units).unwrap_or(u32::MAX)
}

/// One timed service of a day: its key (the service line number) and its minutes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TimedService {
    /// Identifies the service, usually its line number.
    pub key: u32,
    /// Direct treatment minutes of the service.
    pub minutes: u32,
    /// Units billed for the service.
    pub billed: u32,
}

impl TimedService {
    /// Whole 15-minute units the service earns on its own minutes: its minimum (rule 5).
    pub fn full_units(self) -> u32 {
        self.minutes / UNIT_MINUTES
    }

    /// Minutes left over after the whole units.
    pub fn remainder(self) -> u32 {
        self.minutes % UNIT_MINUTES
    }
}

/// The correct units of each timed service of one day under the total-time rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TotalTimeAllocation {
    /// Sum of the timed minutes.
    pub total_minutes: u32,
    /// Units those minutes support in all.
    pub total_units: u32,
    /// `(key, units)` for each service, in the order given.
    pub units: Vec<(u32, u32)>,
}

impl TotalTimeAllocation {
    /// Units allocated to the service with `key`.
    pub fn units_for(&self, key: u32) -> Option<u32> {
        self.units.iter().find(|(k, _)| *k == key).map(|(_, units)| *units)
    }
}

/// Allocates a day's total timed units across its services.
///
/// Each service first gets its whole 15-minute units; the units left go one at
/// a time to the services with the largest leftover minutes (CMS 100-04 ch.5
/// 20.2 examples 1-5). Ties are free choices in the manual; here a tie goes
/// first to a service that was billed the extra unit, so a valid billed
/// allocation is kept as it is, then to more total minutes, then to the lower key.
pub fn allocate_total_time(services: &[TimedService]) -> TotalTimeAllocation {
    let total_minutes = services.iter().fold(0u32, |sum, s| sum.saturating_add(s.minutes));
    let total_units = total_time_units(total_minutes);
    let full: u32 = services.iter().fold(0u32, |sum, s| sum.saturating_add(s.full_units()));
    let mut extra = total_units.saturating_sub(full);

    let mut order: Vec<&TimedService> = services.iter().filter(|s| s.remainder() > 0).collect();
    order.sort_by(|a, b| {
        b.remainder()
            .cmp(&a.remainder())
            .then_with(|| (b.billed > b.full_units()).cmp(&(a.billed > a.full_units())))
            .then_with(|| b.minutes.cmp(&a.minutes))
            .then_with(|| a.key.cmp(&b.key))
    });
    let mut bonus: Vec<u32> = Vec::new();
    for service in order {
        if extra == 0 {
            break;
        }
        bonus.push(service.key);
        extra -= 1;
    }
    let units = services.iter().map(|s| (s.key, s.full_units() + u32::from(bonus.contains(&s.key)))).collect();
    TotalTimeAllocation { total_minutes, total_units, units }
}

/// Something wrong with a billed allocation of timed units under the total-time rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AllocationIssue {
    /// More units were billed than the day's total minutes support.
    OverBilled {
        /// Units billed in all.
        billed: u32,
        /// Units the minutes support.
        supported: u32,
    },
    /// Fewer units were billed than the minutes support.
    UnderBilled {
        /// Units billed in all.
        billed: u32,
        /// Units the minutes support.
        supported: u32,
    },
    /// A service of 15 minutes or more got fewer units than its whole 15-minute blocks (rule 5).
    BelowMinimum {
        /// The service.
        key: u32,
        /// Units billed for it.
        billed: u32,
        /// Its whole 15-minute units.
        minimum: u32,
    },
    /// A service got more than one unit beyond its whole 15-minute blocks.
    AboveMaximum {
        /// The service.
        key: u32,
        /// Units billed for it.
        billed: u32,
        /// Its whole units plus one.
        maximum: u32,
    },
    /// A leftover unit went to a service with fewer leftover minutes than one that got none.
    Misallocated {
        /// The service that was given the unit.
        favoured: u32,
        /// The service with more leftover minutes that should have had it.
        passed_over: u32,
    },
}

/// Checks a billed allocation of one day's timed services against the total-time rule.
///
/// A billed allocation is accepted when its total equals the supported units,
/// every service has at least its whole 15-minute units and at most one more,
/// and the leftover units sit on services whose leftover minutes are no smaller
/// than those of any service without one. Ties are accepted either way.
pub fn check_total_time(services: &[TimedService]) -> Vec<AllocationIssue> {
    let mut issues = Vec::new();
    let total_minutes = services.iter().fold(0u32, |sum, s| sum.saturating_add(s.minutes));
    let supported = total_time_units(total_minutes);
    let billed = services.iter().fold(0u32, |sum, s| sum.saturating_add(s.billed));
    if billed > supported {
        issues.push(AllocationIssue::OverBilled { billed, supported });
    } else if billed < supported {
        issues.push(AllocationIssue::UnderBilled { billed, supported });
    }
    for s in services {
        if s.billed < s.full_units() {
            issues.push(AllocationIssue::BelowMinimum { key: s.key, billed: s.billed, minimum: s.full_units() });
        } else if s.billed > s.full_units() + 1 {
            issues.push(AllocationIssue::AboveMaximum { key: s.key, billed: s.billed, maximum: s.full_units() + 1 });
        }
    }
    // Which service got a leftover unit only means something when the total and
    // the per-service bounds hold; otherwise the issues above already say it.
    if issues.is_empty() {
        let favoured = services.iter().filter(|s| s.billed > s.full_units());
        for f in favoured {
            let passed_over = services
                .iter()
                .filter(|s| s.billed == s.full_units() && s.remainder() > f.remainder())
                .max_by_key(|s| s.remainder());
            if let Some(p) = passed_over {
                issues.push(AllocationIssue::Misallocated { favoured: f.key, passed_over: p.key });
            }
        }
    }
    issues
}

#[cfg(test)]
mod tests {
    use super::*;

    fn services(minutes: &[(u32, u32, u32)]) -> Vec<TimedService> {
        minutes.iter().map(|&(key, minutes, billed)| TimedService { key, minutes, billed }).collect()
    }

    #[test]
    fn band_edges_of_the_unit_table() {
        // CMS 100-04 ch.5 20.2 table (and FCSO): each band's last and the next band's first minute.
        let edges = [
            (0, 0),
            (7, 0),
            (8, 1),
            (22, 1),
            (23, 2),
            (37, 2),
            (38, 3),
            (52, 3),
            (53, 4),
            (67, 4),
            (68, 5),
            (82, 5),
            (83, 6),
            (97, 6),
            (98, 7),
            (112, 7),
            (113, 8),
            (127, 8),
            (128, 9),
            (142, 9),
            (143, 10),
        ];
        for (minutes, units) in edges {
            assert_eq!(total_time_units(minutes), units, "{minutes} minutes");
        }
    }

    #[test]
    fn midpoint_rule_for_15_and_30_minute_codes() {
        // Premera, quoting the CPT codebook: 8-22 = 1, 23-37 = 2, 38-52 = 3; 30-minute codes 16-45 = 1, 46-75 = 2.
        for (minutes, units) in [(7, 0), (8, 1), (22, 1), (23, 2), (37, 2), (38, 3), (52, 3), (53, 4)] {
            assert_eq!(midpoint_units(minutes, 15), units, "{minutes} minutes of a 15-minute code");
        }
        for (minutes, units) in [(15, 0), (16, 1), (45, 1), (46, 2), (75, 2), (76, 3), (105, 3)] {
            assert_eq!(midpoint_units(minutes, 30), units, "{minutes} minutes of a 30-minute code");
        }
        assert_eq!(midpoint_units(10, 0), 0);
        // Reference TC11 (SPM): 97110 = 33 -> 2 units, 97140 = 7 -> 0 units.
        assert_eq!((midpoint_units(33, 15), midpoint_units(7, 15)), (2, 0));
        // TC13 (SPM side): 24 -> 2, 23 -> 2, so 4 units where Medicare allows 3.
        assert_eq!(midpoint_units(24, 15) + midpoint_units(23, 15), 4);
        assert_eq!(total_time_units(47), 3);
    }

    #[test]
    fn allocation_follows_the_cms_examples() {
        // Ex 1: 97112 = 24 (line 1), 97110 = 23 (line 2) -> 2 and 1.
        let ex1 = allocate_total_time(&services(&[(1, 24, 0), (2, 23, 0)]));
        assert_eq!((ex1.total_minutes, ex1.total_units), (47, 3));
        assert_eq!(ex1.units, vec![(1, 2), (2, 1)]);
        // Ex 3: 97110 = 33, 97140 = 7 -> 2 and 1.
        assert_eq!(allocate_total_time(&services(&[(1, 33, 0), (2, 7, 0)])).units, vec![(1, 2), (2, 1)]);
        // Ex 4: 18, 13, 10, 8 -> 1, 1, 1, 0.
        let ex4 = allocate_total_time(&services(&[(1, 18, 0), (2, 13, 0), (3, 10, 0), (4, 8, 0)]));
        assert_eq!(ex4.units, vec![(1, 1), (2, 1), (3, 1), (4, 0)]);
        // Ex 5: 7, 7, 7 -> one unit in all.
        let ex5 = allocate_total_time(&services(&[(1, 7, 0), (2, 7, 0), (3, 7, 0)]));
        assert_eq!(ex5.units.iter().map(|(_, u)| u).sum::<u32>(), 1);
    }

    #[test]
    fn ties_keep_a_valid_billed_choice() {
        // Ex 2: 20 and 20 minutes; either code may take the second unit.
        let first = allocate_total_time(&services(&[(1, 20, 2), (2, 20, 1)]));
        let second = allocate_total_time(&services(&[(1, 20, 1), (2, 20, 2)]));
        assert_eq!(first.units, vec![(1, 2), (2, 1)]);
        assert_eq!(second.units, vec![(1, 1), (2, 2)]);
        assert!(check_total_time(&services(&[(1, 20, 1), (2, 20, 2)])).is_empty());
    }

    #[test]
    fn checks_name_each_kind_of_error() {
        // TC01: the extra unit on the code with less time.
        assert_eq!(
            check_total_time(&services(&[(1, 24, 1), (2, 23, 2)])),
            vec![AllocationIssue::Misallocated { favoured: 2, passed_over: 1 }]
        );
        // TC02: three units of one code and none of the other.
        let tc02 = check_total_time(&services(&[(1, 20, 3), (2, 20, 0)]));
        assert!(tc02.contains(&AllocationIssue::AboveMaximum { key: 1, billed: 3, maximum: 2 }));
        assert!(tc02.contains(&AllocationIssue::BelowMinimum { key: 2, billed: 0, minimum: 1 }));
        // TC04: four units for 49 minutes.
        assert_eq!(
            check_total_time(&services(&[(1, 18, 1), (2, 13, 1), (3, 10, 1), (4, 8, 1)])),
            vec![AllocationIssue::OverBilled { billed: 4, supported: 3 }]
        );
        // Under-billing.
        assert_eq!(
            check_total_time(&services(&[(1, 33, 2), (2, 7, 0)])),
            vec![AllocationIssue::UnderBilled { billed: 2, supported: 3 }]
        );
    }
}
