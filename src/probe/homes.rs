//! Which home directories a host's /etc/passwd names, so both executors stat the same ones and
//! evaluation knows where to look. probe.sh's `fhomes` makes the same selection in `sh`.

/// passwd lines read (the first ones, valid or not): bounds the stats, and the time `sh` spends,
/// that a hostile passwd can cause.
pub const MAX_HOME_LINES: usize = 4096;

/// The home directory named on one passwd line, as stat'ed: field 6 with trailing slashes
/// removed ("/" stays "/"). `None` when the line has no sixth field, the home is not absolute,
/// or it holds anything but printable ASCII or a glob or escape character (`* ? [ \`).
pub fn home_of(line: &str) -> Option<String> {
    let home = line.split(':').nth(5)?;
    let plain = home
        .bytes()
        .all(|b| (b' '..=b'~').contains(&b) && !matches!(b, b'*' | b'?' | b'[' | b'\\'));
    if !home.starts_with('/') || !plain {
        return None;
    }
    let trimmed = home.trim_end_matches('/');
    Some(if trimmed.is_empty() { "/" } else { trimmed }.to_owned())
}

/// The stat pattern for the dot files directly inside `home`.
pub fn dot_files_pattern(home: &str) -> String {
    if home == "/" {
        "/.*".to_owned()
    } else {
        format!("{home}/.*")
    }
}

/// The homes to stat, from the first [`MAX_HOME_LINES`] lines of passwd, in file order
/// (duplicates kept: they cost a map entry, and `sh` need not deduplicate).
pub fn homes_to_stat(passwd: &str) -> Vec<String> {
    passwd
        .split('\n')
        .take(MAX_HOME_LINES)
        .filter_map(home_of)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn homes_are_absolute_plain_and_trimmed() {
        let passwd = "root:x:0:0:root:/root:/bin/bash\nshort:x:1:1\nrel:x:2:2::home/rel:/bin/sh\n\
                      glob:x:3:3::/home/*:/bin/sh\nslash:x:4:4::/srv/app//:/bin/sh\n\
                      top:x:5:5::/:/bin/sh\ncr:x:6:6::/home/cr:/bin/sh\r\nsix:x:7:7::/home/six";
        assert_eq!(
            homes_to_stat(passwd),
            ["/root", "/srv/app", "/", "/home/cr", "/home/six"]
        );
        assert_eq!(dot_files_pattern("/"), "/.*");
        assert_eq!(dot_files_pattern("/root"), "/root/.*");
    }
}
