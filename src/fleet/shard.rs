//! Shards (`drift check --shard K/N`): a deterministic part of the roots, by account, then
//! root. Roots that share an account are never split, so one account's API budget is spent by
//! one process; roots that name no account (the caller's, or one the code computes) go
//! together. Groups are dealt to shards largest first, each to the least loaded (the lowest
//! index on a tie), so every shard computes the same plan from the same checkout. The services
//! manifest and its checklist belong to shard 1.
//!
//! Knows only the roots found (`roots.rs`); nothing of AWS or of what the code declares.

use super::roots::Root;
use std::collections::{BTreeMap, BTreeSet};

/// `K/N`: the K-th of N shards, counted from 1.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Shard {
    pub index: usize,
    pub count: usize,
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl std::str::FromStr for Shard {
    type Err = String;

    fn from_str(s: &str) -> Result<Shard, String> {
        let bad = || format!("`{s}` is not a shard: write K/N, 1 ≤ K ≤ N (e.g. 2/4)");
        let (k, n) = s.split_once('/').ok_or_else(bad)?;
        let index: usize = k.trim().parse().map_err(|_| bad())?;
        let count: usize = n.trim().parse().map_err(|_| bad())?;
        if index == 0 || count == 0 || index > count || count > 10_000 {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }
}

/// The account group a root belongs to: its accounts, or `""` for the caller's.
fn accounts_of(root: &Root) -> Vec<String> {
    let named: Vec<String> = root
        .accounts
        .iter()
        .filter(|a| a.as_str() != "?")
        .cloned()
        .collect();
    if named.is_empty() || root.accounts.contains("?") {
        // A computed account may be the caller's: it goes with the caller's roots.
        let mut v = named;
        v.push(String::new());
        v
    } else {
        named
    }
}

/// Roots joined into groups that share an account (union-find over accounts).
fn groups(roots: &[Root]) -> Vec<Vec<usize>> {
    let mut parent: BTreeMap<String, String> = BTreeMap::new();
    fn find(parent: &mut BTreeMap<String, String>, a: &str) -> String {
        let p = parent
            .entry(a.to_string())
            .or_insert_with(|| a.to_string())
            .clone();
        if p == a {
            return p;
        }
        let root = find(parent, &p);
        parent.insert(a.to_string(), root.clone());
        root
    }
    for r in roots {
        let accounts = accounts_of(r);
        for pair in accounts.windows(2) {
            let (x, y) = (find(&mut parent, &pair[0]), find(&mut parent, &pair[1]));
            if x != y {
                // The smaller name leads: the same plan whatever the order of discovery.
                let (lo, hi) = if x < y { (x, y) } else { (y, x) };
                parent.insert(hi, lo);
            }
        }
        find(&mut parent, &accounts[0]);
    }
    let mut by_group: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, r) in roots.iter().enumerate() {
        let g = find(&mut parent, &accounts_of(r)[0]);
        by_group.entry(g).or_default().push(i);
    }
    by_group.into_values().collect()
}

/// Which shard (1-based) each root goes to, in the order of `roots`.
pub fn plan(roots: &[Root], count: usize) -> Vec<usize> {
    let mut groups = groups(roots);
    // Largest first; among equals, the group whose first root sorts first.
    groups.sort_by(|a, b| {
        b.len()
            .cmp(&a.len())
            .then_with(|| roots[a[0]].dir.cmp(&roots[b[0]].dir))
    });
    let mut load = vec![0usize; count.max(1)];
    let mut out = vec![0usize; roots.len()];
    for g in groups {
        let (shard, _) = load
            .iter()
            .enumerate()
            .min_by_key(|(i, l)| (**l, *i))
            .unwrap_or((0, &0));
        load[shard] += g.len();
        for i in g {
            out[i] = shard + 1;
        }
    }
    out
}

/// The roots of `shard`, and the accounts they name.
pub fn select(roots: &[Root], shard: Shard) -> (Vec<Root>, BTreeSet<String>) {
    let plan = plan(roots, shard.count);
    let mine: Vec<Root> = roots
        .iter()
        .zip(plan)
        .filter(|(_, s)| *s == shard.index)
        .map(|(r, _)| r.clone())
        .collect();
    let accounts = mine
        .iter()
        .flat_map(|r| r.accounts.iter().cloned())
        .collect();
    (mine, accounts)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn root(dir: &str, accounts: &[&str]) -> Root {
        Root {
            dir: PathBuf::from(dir),
            accounts: accounts.iter().map(|a| a.to_string()).collect(),
            regions: BTreeSet::new(),
        }
    }

    #[test]
    fn k_of_n_is_parsed_and_checked() {
        assert_eq!("2/4".parse(), Ok(Shard { index: 2, count: 4 }));
        for bad in ["0/4", "5/4", "4", "a/b", "1/0", "", "-1/4"] {
            assert!(bad.parse::<Shard>().is_err(), "{bad}");
        }
    }

    #[test]
    fn an_accounts_roots_stay_together_and_every_root_has_one_shard() {
        let roots = vec![
            root("a/prod", &["111111111111"]),
            root("a/dns", &["111111111111"]),
            root("b/prod", &["222222222222"]),
            // Joins 2… and 3…: all three roots go together.
            root("shared", &["222222222222", "333333333333"]),
            root("c/prod", &["333333333333"]),
            root("caller", &[]),
            root("computed", &["?"]),
            root("d/prod", &["444444444444"]),
        ];
        for n in 1..=5 {
            let plan = plan(&roots, n);
            assert!(plan.iter().all(|s| (1..=n).contains(s)), "{plan:?}");
            assert_eq!(plan[0], plan[1]);
            assert_eq!(plan[2], plan[3]);
            assert_eq!(plan[3], plan[4]);
            assert_eq!(
                plan[5], plan[6],
                "the caller's and computed accounts go together"
            );
        }
        // Largest group first to the emptiest shard: 3 roots, then 2 + 2, then 1.
        assert_eq!(plan(&roots, 3), vec![2, 2, 1, 1, 1, 3, 3, 2]);
        // The same plan whatever the order the roots were found in.
        let mut reversed = roots.clone();
        reversed.reverse();
        let mut back = plan(&reversed, 3);
        back.reverse();
        assert_eq!(back, plan(&roots, 3));
    }

    #[test]
    fn the_shards_partition_the_roots() {
        let roots: Vec<Root> = (0..50)
            .flat_map(|a| {
                let account = format!("{:012}", 100_000_000_000u64 + a);
                (0..3).map(move |r| root(&format!("acct{a}/r{r}"), &[account.as_str()]))
            })
            .collect();
        let mut seen = BTreeSet::new();
        for k in 1..=4 {
            let (mine, accounts) = select(&roots, Shard { index: k, count: 4 });
            assert!((36..=39).contains(&mine.len()), "{k}: {}", mine.len());
            for r in mine {
                assert!(seen.insert(r.dir.clone()), "{:?} twice", r.dir);
            }
            assert!(!accounts.is_empty());
        }
        assert_eq!(seen.len(), roots.len());
    }
}
