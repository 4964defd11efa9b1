//! Matching a rule's `platforms` against /etc/os-release.

use crate::rules::{Platform, RHEL_REBUILDS};
use std::cmp::Ordering;
use std::collections::BTreeMap;

/// Whether any platform matches. No platforms means every host.
pub fn matches(platforms: &[Platform], os: &BTreeMap<String, String>) -> Result<bool, String> {
    if platforms.is_empty() {
        return Ok(true);
    }
    let Some(id) = os.get("ID") else {
        return Err("os-release not found or has no ID".into());
    };
    let version = os.get("VERSION_ID").map(String::as_str).unwrap_or_default();
    Ok(platforms
        .iter()
        .any(|platform| family_matches(&platform.family, id, os) && version_in(platform, version)))
}

fn family_matches(family: &str, id: &str, os: &BTreeMap<String, String>) -> bool {
    if family == id {
        return true;
    }
    if family == "rhel" {
        return RHEL_REBUILDS.contains(&id);
    }
    // Other families match derivatives through ID_LIKE, except Debian: Ubuntu's versions are
    // not Debian's, so Ubuntu rules name `ubuntu` explicitly.
    family != "debian"
        && os
            .get("ID_LIKE")
            .is_some_and(|like| like.split_whitespace().any(|name| name == family))
}

fn version_in(platform: &Platform, version: &str) -> bool {
    let above_min = platform
        .min_version
        .as_deref()
        .is_none_or(|min| compare_versions(version, min) != Ordering::Less);
    let below_max = platform
        .max_version
        .as_deref()
        .is_none_or(|max| compare_versions(version, max) != Ordering::Greater);
    above_min && below_max
}

/// Compares dotted versions on as many components as the bound has: `8.9` is within `max 8`.
fn compare_versions(version: &str, bound: &str) -> Ordering {
    let parse = |text: &str| -> Vec<u64> {
        text.split('.')
            .map(|part| part.trim().parse().unwrap_or(0))
            .collect()
    };
    let (have, want) = (parse(version), parse(bound));
    for (index, wanted) in want.iter().enumerate() {
        let had = have.get(index).copied().unwrap_or(0);
        match had.cmp(wanted) {
            Ordering::Equal => continue,
            other => return other,
        }
    }
    Ordering::Equal
}

#[cfg(test)]
mod tests {
    use super::*;

    fn os(id: &str, like: &str, version: &str) -> BTreeMap<String, String> {
        [("ID", id), ("ID_LIKE", like), ("VERSION_ID", version)]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect()
    }

    fn platform(family: &str, min: Option<&str>, max: Option<&str>) -> Platform {
        Platform {
            family: family.into(),
            min_version: min.map(Into::into),
            max_version: max.map(Into::into),
        }
    }

    #[test]
    fn families_and_versions() {
        let debian12 = os("debian", "", "12");
        let ubuntu = os("ubuntu", "debian", "22.04");
        let rocky = os("rocky", "rhel centos fedora", "8.9");
        let deb = [platform("debian", Some("11"), None)];
        assert!(matches(&deb, &debian12).unwrap());
        assert!(!matches(&deb, &ubuntu).unwrap());
        assert!(matches(&[platform("ubuntu", Some("22.04"), None)], &ubuntu).unwrap());
        assert!(!matches(&[platform("ubuntu", Some("24.04"), None)], &ubuntu).unwrap());
        assert!(matches(&[platform("rhel", Some("8"), Some("8"))], &rocky).unwrap());
        assert!(!matches(&[platform("rhel", Some("9"), None)], &rocky).unwrap());
        assert!(matches(&[], &BTreeMap::new()).unwrap());
        assert!(matches(&deb, &BTreeMap::new()).is_err());
    }
}
