
use builtin;
use str;

set edit:completion:arg-completer[plumb] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'plumb'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'plumb'= {
            cand --color 'When to use colors (auto: only on a terminal, and never when NO_COLOR is set)'
            cand --format 'Output format [default: table on a terminal, json otherwise]'
            cand --state 'State file, or a postgres:// URL [default: <state dir>/plumb/state.db]'
            cand --config 'Config file [default: <config dir>/plumb/config.yaml]'
            cand -q 'Only print errors on stderr'
            cand --quiet 'Only print errors on stderr'
            cand -v 'More detail on stderr (-v: info, -vv: debug with the time since start, -vvv: trace)'
            cand --verbose 'More detail on stderr (-v: info, -vv: debug with the time since start, -vvv: trace)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand scan 'Check hosts against rules and report (and store) the results'
            cand state 'Inspect, verify, prune, migrate and copy the state (a file, or a PostgreSQL database)'
            cand schedule 'Scheduled scans without a daemon: `run-once` for cron or a systemd timer, status, maintenance'
            cand drift 'What changed: between scans, since a time, at a time, host against host, or across the fleet'
            cand rules 'The rule pack without scanning: list, show one rule, validate and lint rule files'
            cand verify-policy 'Check a scan policy''s signature, signer, revocation, schema, clamps and pins'
            cand generate 'Write the man pages or shell completions into a directory, to install them'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'plumb;scan'= {
            cand -i 'Hosts from an inventory: plumb''s YAML format or an Ansible YAML inventory'
            cand --inventory 'Hosts from an inventory: plumb''s YAML format or an Ansible YAML inventory'
            cand --limit 'Only inventory hosts matching an Ansible host pattern: a:b union, a:&b intersection, a:!b exclusion; globs, ~regex; names, groups, labels (repeatable: every one must match)'
            cand --user 'Log in as this user (a user in HOST or the inventory wins)'
            cand --port 'SSH port (a port in HOST or the inventory wins)'
            cand --identity 'Private key to authenticate with'
            cand -o 'An ssh option, as for `ssh -o` (repeatable)'
            cand --ssh-option 'An ssh option, as for `ssh -o` (repeatable)'
            cand --ssh-config 'Use this ssh_config instead of ~/.ssh/config and /etc/ssh/ssh_config'
            cand --host-key-policy 'strict: the host key must be known; accept-new: trust a first-seen key. A changed key is always refused [default: the policy''s, else strict]'
            cand --known-hosts 'known_hosts file to check host keys against'
            cand --connect-timeout 'Seconds to wait for a connection [default: the policy''s, else 10]'
            cand --probe-timeout 'Seconds the whole probe may take on one host [default: the policy''s, else 300]'
            cand --concurrency 'Hosts scanned at once [default: the policy''s, else 16]'
            cand --max-output 'Most bytes one host may send back before it is cut off'
            cand --rules 'Rule files or directories (replaces the embedded default pack; repeatable)'
            cand --var 'Set a rule variable (repeatable)'
            cand --vars-file 'Rule variables from a YAML file: a mapping of names to values, or Kensa''s defaults file (`variables:`). Repeatable, later files win; --var, inventory and policy vars win over it'
            cand --rules-dialect 'The format rule files are written in: auto reads a file with a Kensa-only key (category, transactional, depends_on, ...) as Kensa''s and any other as plumb''s'
            cand --root 'Scan a directory tree (image, chroot, container filesystem) instead of the live system'
            cand --profile 'Only rules in this profile, such as cis_l1_server (repeatable: rules in any of them)'
            cand --rule 'Only these rules (repeatable)'
            cand --tag 'Only rules with one of these tags (repeatable)'
            cand --min-severity 'Only rules at or above this severity'
            cand --exclude 'Leave these rules out (repeatable)'
            cand --fail-on 'Exit 1 when a rule at or above this severity fails. `never` is a soft fail of findings only: a host that could not be scanned still exits 3, and so does a rule in `error` unless --allow-errors [default: the config file''s fail_on, else low]'
            cand --output 'Write the report to FILE (atomically) instead of stdout'
            cand --evidence-max-bytes 'Evidence cap per rule in bytes, at most 262144 [default: the policy''s, else 65536]'
            cand --host-name 'Name the scanned host in reports and the state file (default: the hostname, or the --root directory name)'
            cand --waivers 'Accept the failures these waivers name (repeatable; see README "Waivers"). Under a signed policy the file must be signed too (FILE.sig)'
            cand --policy 'The signed scan policy (rule sets, vars, ssh, evidence, schedule and export settings) [default: the config file''s policy]'
            cand --allowed-signers 'OpenSSH allowed_signers file with the keys trusted to sign policies'
            cand --key 'A single trusted public key (.pub); wins over allowed_signers'
            cand --signature 'The detached signature [default: POLICY.sig]'
            cand --revocation-list 'Fingerprints of revoked keys, one a line [default: the policy''s revocation_list]'
            cand --explain 'Show this rule in full: expected and actual values, source, remediation and references (repeatable)'
            cand --color 'When to use colors (auto: only on a terminal, and never when NO_COLOR is set)'
            cand --format 'Output format [default: table on a terminal, json otherwise]'
            cand --state 'State file, or a postgres:// URL [default: <state dir>/plumb/state.db]'
            cand --config 'Config file [default: <config dir>/plumb/config.yaml]'
            cand --local 'Scan this machine too (it is the default when no host or inventory is given)'
            cand --sudo 'Run the probe through `sudo -n` on the host'
            cand --allow-errors 'Do not fail the run (exit 3) for rules that could not be assessed (status `error`) at or above --fail-on (any severity with --fail-on never); they are still reported'
            cand --no-store 'Do not record the results in the state file'
            cand --via-shell 'Gather facts with the generated sh script (what remote scans run) instead of natively'
            cand --allow-unsigned-policy 'Use a policy whose signature does not verify (development only; warns). For `schedule run-once`, also run without any policy'
            cand --summary 'Print the header and the summary (counts, score, changes, errors) only'
            cand -q 'Only print errors on stderr'
            cand --quiet 'Only print errors on stderr'
            cand -v 'More detail on stderr (-v: info, -vv: debug with the time since start, -vvv: trace)'
            cand --verbose 'More detail on stderr (-v: info, -vv: debug with the time since start, -vvv: trace)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'plumb;state'= {
            cand --color 'When to use colors (auto: only on a terminal, and never when NO_COLOR is set)'
            cand --format 'Output format [default: table on a terminal, json otherwise]'
            cand --state 'State file, or a postgres:// URL [default: <state dir>/plumb/state.db]'
            cand --config 'Config file [default: <config dir>/plumb/config.yaml]'
            cand -q 'Only print errors on stderr'
            cand --quiet 'Only print errors on stderr'
            cand -v 'More detail on stderr (-v: info, -vv: debug with the time since start, -vvv: trace)'
            cand --verbose 'More detail on stderr (-v: info, -vv: debug with the time since start, -vvv: trace)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand path 'Print the state file''s path'
            cand show 'Schema version, size, row counts and each host''s last scan'
            cand hosts 'Every host with its score, compliance tier and failing rules by severity'
            cand scans 'Recorded scans, newest first'
            cand history 'A host''s change log, newest first'
            cand check 'Integrity check, foreign keys and the change log''s hash chain (exit 1 if unsound)'
            cand migrate 'Apply pending schema migrations, including ones not applied automatically'
            cand prune 'Drop scans and change-log rows older than DURATION (current state, each host''s last scan and the scan with the highest policy version are kept)'
            cand vacuum 'Rebuild the file to reclaim space (a state file only)'
            cand copy 'Copy a whole state into an empty one: a file into PostgreSQL, or a database back to a file (either side a path or a postgres:// URL; --state is not used)'
            cand export 'Write what a consumer has not acknowledged: changed results in full, unchanged hosts as references, removals (JSON, or NDJSON with --format ndjson). Moves no cursor'
            cand ack 'Acknowledge an exported batch after uploading it: the consumer''s cursor moves to it'
            cand report 'The fleet''s HTML report (--format html, the default): hosts by score, findings, rule texts and trends, in one self-contained page'
            cand consumers 'Each export consumer''s cursor, last acknowledgement and whether a full sync is due'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'plumb;state;path'= {
            cand --color 'When to use colors (auto: only on a terminal, and never when NO_COLOR is set)'
            cand --format 'Output format [default: table on a terminal, json otherwise]'
            cand --state 'State file, or a postgres:// URL [default: <state dir>/plumb/state.db]'
            cand --config 'Config file [default: <config dir>/plumb/config.yaml]'
            cand -q 'Only print errors on stderr'
            cand --quiet 'Only print errors on stderr'
            cand -v 'More detail on stderr (-v: info, -vv: debug with the time since start, -vvv: trace)'
            cand --verbose 'More detail on stderr (-v: info, -vv: debug with the time since start, -vvv: trace)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'plumb;state;show'= {
            cand --color 'When to use colors (auto: only on a terminal, and never when NO_COLOR is set)'
            cand --format 'Output format [default: table on a terminal, json otherwise]'
            cand --state 'State file, or a postgres:// URL [default: <state dir>/plumb/state.db]'
            cand --config 'Config file [default: <config dir>/plumb/config.yaml]'
            cand -q 'Only print errors on stderr'
            cand --quiet 'Only print errors on stderr'
            cand -v 'More detail on stderr (-v: info, -vv: debug with the time since start, -vvv: trace)'
            cand --verbose 'More detail on stderr (-v: info, -vv: debug with the time since start, -vvv: trace)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'plumb;state;hosts'= {
            cand --color 'When to use colors (auto: only on a terminal, and never when NO_COLOR is set)'
            cand --format 'Output format [default: table on a terminal, json otherwise]'
            cand --state 'State file, or a postgres:// URL [default: <state dir>/plumb/state.db]'
            cand --config 'Config file [default: <config dir>/plumb/config.yaml]'
            cand -q 'Only print errors on stderr'
            cand --quiet 'Only print errors on stderr'
            cand -v 'More detail on stderr (-v: info, -vv: debug with the time since start, -vvv: trace)'
            cand --verbose 'More detail on stderr (-v: info, -vv: debug with the time since start, -vvv: trace)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'plumb;state;scans'= {
            cand --host 'Only scans of this host'
            cand --limit 'limit'
            cand --color 'When to use colors (auto: only on a terminal, and never when NO_COLOR is set)'
            cand --format 'Output format [default: table on a terminal, json otherwise]'
            cand --state 'State file, or a postgres:// URL [default: <state dir>/plumb/state.db]'
            cand --config 'Config file [default: <config dir>/plumb/config.yaml]'
            cand -q 'Only print errors on stderr'
            cand --quiet 'Only print errors on stderr'
            cand -v 'More detail on stderr (-v: info, -vv: debug with the time since start, -vvv: trace)'
            cand --verbose 'More detail on stderr (-v: info, -vv: debug with the time since start, -vvv: trace)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'plumb;state;history'= {
            cand --rule 'Only changes of this rule'
            cand --limit 'limit'
            cand --color 'When to use colors (auto: only on a terminal, and never when NO_COLOR is set)'
            cand --format 'Output format [default: table on a terminal, json otherwise]'
            cand --state 'State file, or a postgres:// URL [default: <state dir>/plumb/state.db]'
            cand --config 'Config file [default: <config dir>/plumb/config.yaml]'
            cand -q 'Only print errors on stderr'
            cand --quiet 'Only print errors on stderr'
            cand -v 'More detail on stderr (-v: info, -vv: debug with the time since start, -vvv: trace)'
            cand --verbose 'More detail on stderr (-v: info, -vv: debug with the time since start, -vvv: trace)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'plumb;state;check'= {
            cand --color 'When to use colors (auto: only on a terminal, and never when NO_COLOR is set)'
            cand --format 'Output format [default: table on a terminal, json otherwise]'
            cand --state 'State file, or a postgres:// URL [default: <state dir>/plumb/state.db]'
            cand --config 'Config file [default: <config dir>/plumb/config.yaml]'
            cand -q 'Only print errors on stderr'
            cand --quiet 'Only print errors on stderr'
            cand -v 'More detail on stderr (-v: info, -vv: debug with the time since start, -vvv: trace)'
            cand --verbose 'More detail on stderr (-v: info, -vv: debug with the time since start, -vvv: trace)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'plumb;state;migrate'= {
            cand --color 'When to use colors (auto: only on a terminal, and never when NO_COLOR is set)'
            cand --format 'Output format [default: table on a terminal, json otherwise]'
            cand --state 'State file, or a postgres:// URL [default: <state dir>/plumb/state.db]'
            cand --config 'Config file [default: <config dir>/plumb/config.yaml]'
            cand -q 'Only print errors on stderr'
            cand --quiet 'Only print errors on stderr'
            cand -v 'More detail on stderr (-v: info, -vv: debug with the time since start, -vvv: trace)'
            cand --verbose 'More detail on stderr (-v: info, -vv: debug with the time since start, -vvv: trace)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'plumb;state;prune'= {
            cand --older-than 'Age such as 90s, 15m, 4h, 30d'
            cand --color 'When to use colors (auto: only on a terminal, and never when NO_COLOR is set)'
            cand --format 'Output format [default: table on a terminal, json otherwise]'
            cand --state 'State file, or a postgres:// URL [default: <state dir>/plumb/state.db]'
            cand --config 'Config file [default: <config dir>/plumb/config.yaml]'
            cand -q 'Only print errors on stderr'
            cand --quiet 'Only print errors on stderr'
            cand -v 'More detail on stderr (-v: info, -vv: debug with the time since start, -vvv: trace)'
            cand --verbose 'More detail on stderr (-v: info, -vv: debug with the time since start, -vvv: trace)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'plumb;state;vacuum'= {
            cand --color 'When to use colors (auto: only on a terminal, and never when NO_COLOR is set)'
            cand --format 'Output format [default: table on a terminal, json otherwise]'
            cand --state 'State file, or a postgres:// URL [default: <state dir>/plumb/state.db]'
            cand --config 'Config file [default: <config dir>/plumb/config.yaml]'
            cand -q 'Only print errors on stderr'
            cand --quiet 'Only print errors on stderr'
            cand -v 'More detail on stderr (-v: info, -vv: debug with the time since start, -vvv: trace)'
            cand --verbose 'More detail on stderr (-v: info, -vv: debug with the time since start, -vvv: trace)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'plumb;state;copy'= {
            cand --color 'When to use colors (auto: only on a terminal, and never when NO_COLOR is set)'
            cand --format 'Output format [default: table on a terminal, json otherwise]'
            cand --state 'State file, or a postgres:// URL [default: <state dir>/plumb/state.db]'
            cand --config 'Config file [default: <config dir>/plumb/config.yaml]'
            cand -q 'Only print errors on stderr'
            cand --quiet 'Only print errors on stderr'
            cand -v 'More detail on stderr (-v: info, -vv: debug with the time since start, -vvv: trace)'
            cand --verbose 'More detail on stderr (-v: info, -vv: debug with the time since start, -vvv: trace)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'plumb;state;export'= {
            cand --consumer 'Who the batch is for (created on first export)'
            cand --output 'Write the batch to FILE (atomically) instead of stdout'
            cand --full-sync-horizon 'Send everything when the consumer''s last acknowledged full batch is older than this, such as 12h or 7d [default: the policy''s export.full_sync_horizon, else 7d]'
            cand --policy 'The signed scan policy (rule sets, vars, ssh, evidence, schedule and export settings) [default: the config file''s policy]'
            cand --allowed-signers 'OpenSSH allowed_signers file with the keys trusted to sign policies'
            cand --key 'A single trusted public key (.pub); wins over allowed_signers'
            cand --signature 'The detached signature [default: POLICY.sig]'
            cand --revocation-list 'Fingerprints of revoked keys, one a line [default: the policy''s revocation_list]'
            cand --color 'When to use colors (auto: only on a terminal, and never when NO_COLOR is set)'
            cand --format 'Output format [default: table on a terminal, json otherwise]'
            cand --state 'State file, or a postgres:// URL [default: <state dir>/plumb/state.db]'
            cand --config 'Config file [default: <config dir>/plumb/config.yaml]'
            cand --full 'Send every result, whatever the consumer acknowledged'
            cand --allow-unsigned-policy 'Use a policy whose signature does not verify (development only; warns). For `schedule run-once`, also run without any policy'
            cand -q 'Only print errors on stderr'
            cand --quiet 'Only print errors on stderr'
            cand -v 'More detail on stderr (-v: info, -vv: debug with the time since start, -vvv: trace)'
            cand --verbose 'More detail on stderr (-v: info, -vv: debug with the time since start, -vvv: trace)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'plumb;state;ack'= {
            cand --consumer 'consumer'
            cand --color 'When to use colors (auto: only on a terminal, and never when NO_COLOR is set)'
            cand --format 'Output format [default: table on a terminal, json otherwise]'
            cand --state 'State file, or a postgres:// URL [default: <state dir>/plumb/state.db]'
            cand --config 'Config file [default: <config dir>/plumb/config.yaml]'
            cand -q 'Only print errors on stderr'
            cand --quiet 'Only print errors on stderr'
            cand -v 'More detail on stderr (-v: info, -vv: debug with the time since start, -vvv: trace)'
            cand --verbose 'More detail on stderr (-v: info, -vv: debug with the time since start, -vvv: trace)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'plumb;state;report'= {
            cand --output 'Write the page to FILE (atomically) instead of stdout'
            cand --since 'Trends cover scans finished in the last AGE, such as 30d or 12h'
            cand --rules 'Rule files or directories for the rules'' texts [default: the embedded pack]'
            cand --color 'When to use colors (auto: only on a terminal, and never when NO_COLOR is set)'
            cand --format 'Output format [default: table on a terminal, json otherwise]'
            cand --state 'State file, or a postgres:// URL [default: <state dir>/plumb/state.db]'
            cand --config 'Config file [default: <config dir>/plumb/config.yaml]'
            cand -q 'Only print errors on stderr'
            cand --quiet 'Only print errors on stderr'
            cand -v 'More detail on stderr (-v: info, -vv: debug with the time since start, -vvv: trace)'
            cand --verbose 'More detail on stderr (-v: info, -vv: debug with the time since start, -vvv: trace)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'plumb;state;consumers'= {
            cand --full-sync-horizon 'As for `state export`'
            cand --color 'When to use colors (auto: only on a terminal, and never when NO_COLOR is set)'
            cand --format 'Output format [default: table on a terminal, json otherwise]'
            cand --state 'State file, or a postgres:// URL [default: <state dir>/plumb/state.db]'
            cand --config 'Config file [default: <config dir>/plumb/config.yaml]'
            cand -q 'Only print errors on stderr'
            cand --quiet 'Only print errors on stderr'
            cand -v 'More detail on stderr (-v: info, -vv: debug with the time since start, -vvv: trace)'
            cand --verbose 'More detail on stderr (-v: info, -vv: debug with the time since start, -vvv: trace)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'plumb;state;help'= {
            cand path 'Print the state file''s path'
            cand show 'Schema version, size, row counts and each host''s last scan'
            cand hosts 'Every host with its score, compliance tier and failing rules by severity'
            cand scans 'Recorded scans, newest first'
            cand history 'A host''s change log, newest first'
            cand check 'Integrity check, foreign keys and the change log''s hash chain (exit 1 if unsound)'
            cand migrate 'Apply pending schema migrations, including ones not applied automatically'
            cand prune 'Drop scans and change-log rows older than DURATION (current state, each host''s last scan and the scan with the highest policy version are kept)'
            cand vacuum 'Rebuild the file to reclaim space (a state file only)'
            cand copy 'Copy a whole state into an empty one: a file into PostgreSQL, or a database back to a file (either side a path or a postgres:// URL; --state is not used)'
            cand export 'Write what a consumer has not acknowledged: changed results in full, unchanged hosts as references, removals (JSON, or NDJSON with --format ndjson). Moves no cursor'
            cand ack 'Acknowledge an exported batch after uploading it: the consumer''s cursor moves to it'
            cand report 'The fleet''s HTML report (--format html, the default): hosts by score, findings, rule texts and trends, in one self-contained page'
            cand consumers 'Each export consumer''s cursor, last acknowledgement and whether a full sync is due'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'plumb;state;help;path'= {
        }
        &'plumb;state;help;show'= {
        }
        &'plumb;state;help;hosts'= {
        }
        &'plumb;state;help;scans'= {
        }
        &'plumb;state;help;history'= {
        }
        &'plumb;state;help;check'= {
        }
        &'plumb;state;help;migrate'= {
        }
        &'plumb;state;help;prune'= {
        }
        &'plumb;state;help;vacuum'= {
        }
        &'plumb;state;help;copy'= {
        }
        &'plumb;state;help;export'= {
        }
        &'plumb;state;help;ack'= {
        }
        &'plumb;state;help;report'= {
        }
        &'plumb;state;help;consumers'= {
        }
        &'plumb;state;help;help'= {
        }
        &'plumb;schedule'= {
            cand --color 'When to use colors (auto: only on a terminal, and never when NO_COLOR is set)'
            cand --format 'Output format [default: table on a terminal, json otherwise]'
            cand --state 'State file, or a postgres:// URL [default: <state dir>/plumb/state.db]'
            cand --config 'Config file [default: <config dir>/plumb/config.yaml]'
            cand -q 'Only print errors on stderr'
            cand --quiet 'Only print errors on stderr'
            cand -v 'More detail on stderr (-v: info, -vv: debug with the time since start, -vvv: trace)'
            cand --verbose 'More detail on stderr (-v: info, -vv: debug with the time since start, -vvv: trace)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand run-once 'Claim the hosts that are due, scan them, reschedule them, and exit (for cron or a systemd timer; overlapping runs never scan a host twice)'
            cand status 'Per host: tier, score, interval, next scan, how overdue, maintenance and backoff'
            cand maintenance 'Keep a host out of scheduled scans until a time, for a while, or no longer'
            cand cron 'Print a crontab line and a systemd service and timer that run `run-once` with these options'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'plumb;schedule;run-once'= {
            cand -i 'Hosts from an inventory: plumb''s YAML format or an Ansible YAML inventory'
            cand --inventory 'Hosts from an inventory: plumb''s YAML format or an Ansible YAML inventory'
            cand --limit 'Only inventory hosts matching an Ansible host pattern: a:b union, a:&b intersection, a:!b exclusion; globs, ~regex; names, groups, labels (repeatable: every one must match)'
            cand --rules 'Rule files or directories (replaces the embedded default pack; repeatable)'
            cand --var 'Set a rule variable (repeatable)'
            cand --vars-file 'Rule variables from a YAML file: a mapping of names to values, or Kensa''s defaults file (`variables:`). Repeatable, later files win; --var, inventory and policy vars win over it'
            cand --rules-dialect 'The format rule files are written in: auto reads a file with a Kensa-only key (category, transactional, depends_on, ...) as Kensa''s and any other as plumb''s'
            cand --profile 'Only rules in this profile, such as cis_l1_server (repeatable: rules in any of them)'
            cand --policy 'The signed scan policy (rule sets, vars, ssh, evidence, schedule and export settings) [default: the config file''s policy]'
            cand --allowed-signers 'OpenSSH allowed_signers file with the keys trusted to sign policies'
            cand --key 'A single trusted public key (.pub); wins over allowed_signers'
            cand --signature 'The detached signature [default: POLICY.sig]'
            cand --revocation-list 'Fingerprints of revoked keys, one a line [default: the policy''s revocation_list]'
            cand --user 'Log in as this user (a user in HOST or the inventory wins)'
            cand --port 'SSH port (a port in HOST or the inventory wins)'
            cand --identity 'Private key to authenticate with'
            cand -o 'An ssh option, as for `ssh -o` (repeatable)'
            cand --ssh-option 'An ssh option, as for `ssh -o` (repeatable)'
            cand --ssh-config 'Use this ssh_config instead of ~/.ssh/config and /etc/ssh/ssh_config'
            cand --host-key-policy 'strict: the host key must be known; accept-new: trust a first-seen key. A changed key is always refused [default: the policy''s, else strict]'
            cand --known-hosts 'known_hosts file to check host keys against'
            cand --connect-timeout 'Seconds to wait for a connection [default: the policy''s, else 10]'
            cand --probe-timeout 'Seconds the whole probe may take on one host [default: the policy''s, else 300]'
            cand --concurrency 'Hosts scanned at once [default: the policy''s, else 16]'
            cand --max-output 'Most bytes one host may send back before it is cut off'
            cand --max-hosts 'Most hosts this pass claims [default: the policy''s max_hosts_per_run, else no cap]'
            cand --lease 'How long a claim holds a host before another run may take it over, such as 30m [default: the probe timeout for each round of --concurrency hosts, plus one]'
            cand --fail-on 'Lowest severity of a failure that makes the exit code 1'
            cand --waivers 'Accept the failures these waivers name (repeatable), as `scan --waivers`'
            cand --color 'When to use colors (auto: only on a terminal, and never when NO_COLOR is set)'
            cand --format 'Output format [default: table on a terminal, json otherwise]'
            cand --state 'State file, or a postgres:// URL [default: <state dir>/plumb/state.db]'
            cand --config 'Config file [default: <config dir>/plumb/config.yaml]'
            cand --allow-unsigned-policy 'Use a policy whose signature does not verify (development only; warns). For `schedule run-once`, also run without any policy'
            cand --sudo 'Run the probe through `sudo -n` on the host'
            cand --allow-errors 'Exit 0/1 even when rules could not be assessed'
            cand -q 'Only print errors on stderr'
            cand --quiet 'Only print errors on stderr'
            cand -v 'More detail on stderr (-v: info, -vv: debug with the time since start, -vvv: trace)'
            cand --verbose 'More detail on stderr (-v: info, -vv: debug with the time since start, -vvv: trace)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'plumb;schedule;status'= {
            cand --color 'When to use colors (auto: only on a terminal, and never when NO_COLOR is set)'
            cand --format 'Output format [default: table on a terminal, json otherwise]'
            cand --state 'State file, or a postgres:// URL [default: <state dir>/plumb/state.db]'
            cand --config 'Config file [default: <config dir>/plumb/config.yaml]'
            cand -q 'Only print errors on stderr'
            cand --quiet 'Only print errors on stderr'
            cand -v 'More detail on stderr (-v: info, -vv: debug with the time since start, -vvv: trace)'
            cand --verbose 'More detail on stderr (-v: info, -vv: debug with the time since start, -vvv: trace)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'plumb;schedule;maintenance'= {
            cand --until 'End of the window: RFC 3339 (2026-12-01T06:00:00Z) or a date (midnight UTC)'
            cand --for 'Length of the window from now, such as 2h or 1d'
            cand --color 'When to use colors (auto: only on a terminal, and never when NO_COLOR is set)'
            cand --format 'Output format [default: table on a terminal, json otherwise]'
            cand --state 'State file, or a postgres:// URL [default: <state dir>/plumb/state.db]'
            cand --config 'Config file [default: <config dir>/plumb/config.yaml]'
            cand --clear 'End the host''s maintenance now'
            cand -q 'Only print errors on stderr'
            cand --quiet 'Only print errors on stderr'
            cand -v 'More detail on stderr (-v: info, -vv: debug with the time since start, -vvv: trace)'
            cand --verbose 'More detail on stderr (-v: info, -vv: debug with the time since start, -vvv: trace)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'plumb;schedule;cron'= {
            cand -i 'Hosts from an inventory: plumb''s YAML format or an Ansible YAML inventory'
            cand --inventory 'Hosts from an inventory: plumb''s YAML format or an Ansible YAML inventory'
            cand --limit 'Only inventory hosts matching an Ansible host pattern: a:b union, a:&b intersection, a:!b exclusion; globs, ~regex; names, groups, labels (repeatable: every one must match)'
            cand --rules 'Rule files or directories (replaces the embedded default pack; repeatable)'
            cand --var 'Set a rule variable (repeatable)'
            cand --vars-file 'Rule variables from a YAML file: a mapping of names to values, or Kensa''s defaults file (`variables:`). Repeatable, later files win; --var, inventory and policy vars win over it'
            cand --rules-dialect 'The format rule files are written in: auto reads a file with a Kensa-only key (category, transactional, depends_on, ...) as Kensa''s and any other as plumb''s'
            cand --profile 'Only rules in this profile, such as cis_l1_server (repeatable: rules in any of them)'
            cand --policy 'The signed scan policy (rule sets, vars, ssh, evidence, schedule and export settings) [default: the config file''s policy]'
            cand --allowed-signers 'OpenSSH allowed_signers file with the keys trusted to sign policies'
            cand --key 'A single trusted public key (.pub); wins over allowed_signers'
            cand --signature 'The detached signature [default: POLICY.sig]'
            cand --revocation-list 'Fingerprints of revoked keys, one a line [default: the policy''s revocation_list]'
            cand --user 'Log in as this user (a user in HOST or the inventory wins)'
            cand --port 'SSH port (a port in HOST or the inventory wins)'
            cand --identity 'Private key to authenticate with'
            cand -o 'An ssh option, as for `ssh -o` (repeatable)'
            cand --ssh-option 'An ssh option, as for `ssh -o` (repeatable)'
            cand --ssh-config 'Use this ssh_config instead of ~/.ssh/config and /etc/ssh/ssh_config'
            cand --host-key-policy 'strict: the host key must be known; accept-new: trust a first-seen key. A changed key is always refused [default: the policy''s, else strict]'
            cand --known-hosts 'known_hosts file to check host keys against'
            cand --connect-timeout 'Seconds to wait for a connection [default: the policy''s, else 10]'
            cand --probe-timeout 'Seconds the whole probe may take on one host [default: the policy''s, else 300]'
            cand --concurrency 'Hosts scanned at once [default: the policy''s, else 16]'
            cand --max-output 'Most bytes one host may send back before it is cut off'
            cand --max-hosts 'Most hosts this pass claims [default: the policy''s max_hosts_per_run, else no cap]'
            cand --lease 'How long a claim holds a host before another run may take it over, such as 30m [default: the probe timeout for each round of --concurrency hosts, plus one]'
            cand --fail-on 'Lowest severity of a failure that makes the exit code 1'
            cand --waivers 'Accept the failures these waivers name (repeatable), as `scan --waivers`'
            cand --color 'When to use colors (auto: only on a terminal, and never when NO_COLOR is set)'
            cand --format 'Output format [default: table on a terminal, json otherwise]'
            cand --state 'State file, or a postgres:// URL [default: <state dir>/plumb/state.db]'
            cand --config 'Config file [default: <config dir>/plumb/config.yaml]'
            cand --allow-unsigned-policy 'Use a policy whose signature does not verify (development only; warns). For `schedule run-once`, also run without any policy'
            cand --sudo 'Run the probe through `sudo -n` on the host'
            cand --allow-errors 'Exit 0/1 even when rules could not be assessed'
            cand -q 'Only print errors on stderr'
            cand --quiet 'Only print errors on stderr'
            cand -v 'More detail on stderr (-v: info, -vv: debug with the time since start, -vvv: trace)'
            cand --verbose 'More detail on stderr (-v: info, -vv: debug with the time since start, -vvv: trace)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'plumb;schedule;help'= {
            cand run-once 'Claim the hosts that are due, scan them, reschedule them, and exit (for cron or a systemd timer; overlapping runs never scan a host twice)'
            cand status 'Per host: tier, score, interval, next scan, how overdue, maintenance and backoff'
            cand maintenance 'Keep a host out of scheduled scans until a time, for a while, or no longer'
            cand cron 'Print a crontab line and a systemd service and timer that run `run-once` with these options'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'plumb;schedule;help;run-once'= {
        }
        &'plumb;schedule;help;status'= {
        }
        &'plumb;schedule;help;maintenance'= {
        }
        &'plumb;schedule;help;cron'= {
        }
        &'plumb;schedule;help;help'= {
        }
        &'plumb;drift'= {
            cand --since 'Net change of each rule from TIME until now, with its flaps [fleet default: 1d]'
            cand --at 'The host''s state at TIME, rebuilt from the change log (with --against: both hosts then)'
            cand --scan 'A scan by id or unique prefix; give it twice to compare scan against scan'
            cand --against 'Compare HOST against HOST2 (now, or --at TIME): every rule whose status or evidence differs'
            cand --fail-on-regression 'Exit 1 when a regression at or above SEVERITY is present [no value: low]'
            cand --color 'When to use colors (auto: only on a terminal, and never when NO_COLOR is set)'
            cand --format 'Output format [default: table on a terminal, json otherwise]'
            cand --state 'State file, or a postgres:// URL [default: <state dir>/plumb/state.db]'
            cand --config 'Config file [default: <config dir>/plumb/config.yaml]'
            cand --all 'Regressions across every host, grouped by rule'
            cand -q 'Only print errors on stderr'
            cand --quiet 'Only print errors on stderr'
            cand -v 'More detail on stderr (-v: info, -vv: debug with the time since start, -vvv: trace)'
            cand --verbose 'More detail on stderr (-v: info, -vv: debug with the time since start, -vvv: trace)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'plumb;rules'= {
            cand --color 'When to use colors (auto: only on a terminal, and never when NO_COLOR is set)'
            cand --format 'Output format [default: table on a terminal, json otherwise]'
            cand --state 'State file, or a postgres:// URL [default: <state dir>/plumb/state.db]'
            cand --config 'Config file [default: <config dir>/plumb/config.yaml]'
            cand -q 'Only print errors on stderr'
            cand --quiet 'Only print errors on stderr'
            cand -v 'More detail on stderr (-v: info, -vv: debug with the time since start, -vvv: trace)'
            cand --verbose 'More detail on stderr (-v: info, -vv: debug with the time since start, -vvv: trace)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand list 'The loaded rules: id, severity, profiles, tags and title (json: also references, platforms, methods and where each is defined)'
            cand show 'One rule in full: texts, severity, tags, profiles, references, notes, platforms, vars, its checks as written, remediation and where it is defined'
            cand check 'Validate rule files without scanning, and lint them for missing remediation or references'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'plumb;rules;list'= {
            cand --rules 'Rule files or directories (replaces the embedded default pack; repeatable)'
            cand --var 'Set a rule variable (repeatable)'
            cand --vars-file 'Rule variables from a YAML file: a mapping of names to values, or Kensa''s defaults file (`variables:`). Repeatable, later files win; --var, inventory and policy vars win over it'
            cand --rules-dialect 'The format rule files are written in: auto reads a file with a Kensa-only key (category, transactional, depends_on, ...) as Kensa''s and any other as plumb''s'
            cand --profile 'Only rules in this profile, such as cis_l1_server (repeatable: rules in any of them)'
            cand --tag 'Only rules with one of these tags (repeatable)'
            cand --color 'When to use colors (auto: only on a terminal, and never when NO_COLOR is set)'
            cand --format 'Output format [default: table on a terminal, json otherwise]'
            cand --state 'State file, or a postgres:// URL [default: <state dir>/plumb/state.db]'
            cand --config 'Config file [default: <config dir>/plumb/config.yaml]'
            cand -q 'Only print errors on stderr'
            cand --quiet 'Only print errors on stderr'
            cand -v 'More detail on stderr (-v: info, -vv: debug with the time since start, -vvv: trace)'
            cand --verbose 'More detail on stderr (-v: info, -vv: debug with the time since start, -vvv: trace)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'plumb;rules;show'= {
            cand --rules 'Rule files or directories (replaces the embedded default pack; repeatable)'
            cand --var 'Set a rule variable (repeatable)'
            cand --vars-file 'Rule variables from a YAML file: a mapping of names to values, or Kensa''s defaults file (`variables:`). Repeatable, later files win; --var, inventory and policy vars win over it'
            cand --rules-dialect 'The format rule files are written in: auto reads a file with a Kensa-only key (category, transactional, depends_on, ...) as Kensa''s and any other as plumb''s'
            cand --color 'When to use colors (auto: only on a terminal, and never when NO_COLOR is set)'
            cand --format 'Output format [default: table on a terminal, json otherwise]'
            cand --state 'State file, or a postgres:// URL [default: <state dir>/plumb/state.db]'
            cand --config 'Config file [default: <config dir>/plumb/config.yaml]'
            cand -q 'Only print errors on stderr'
            cand --quiet 'Only print errors on stderr'
            cand -v 'More detail on stderr (-v: info, -vv: debug with the time since start, -vvv: trace)'
            cand --verbose 'More detail on stderr (-v: info, -vv: debug with the time since start, -vvv: trace)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'plumb;rules;check'= {
            cand --rules 'Rule files or directories (replaces the embedded default pack; repeatable)'
            cand --var 'Set a rule variable (repeatable)'
            cand --vars-file 'Rule variables from a YAML file: a mapping of names to values, or Kensa''s defaults file (`variables:`). Repeatable, later files win; --var, inventory and policy vars win over it'
            cand --rules-dialect 'The format rule files are written in: auto reads a file with a Kensa-only key (category, transactional, depends_on, ...) as Kensa''s and any other as plumb''s'
            cand --color 'When to use colors (auto: only on a terminal, and never when NO_COLOR is set)'
            cand --format 'Output format [default: table on a terminal, json otherwise]'
            cand --state 'State file, or a postgres:// URL [default: <state dir>/plumb/state.db]'
            cand --config 'Config file [default: <config dir>/plumb/config.yaml]'
            cand --strict 'Exit 1 when a rule has a lint warning'
            cand -q 'Only print errors on stderr'
            cand --quiet 'Only print errors on stderr'
            cand -v 'More detail on stderr (-v: info, -vv: debug with the time since start, -vvv: trace)'
            cand --verbose 'More detail on stderr (-v: info, -vv: debug with the time since start, -vvv: trace)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'plumb;rules;help'= {
            cand list 'The loaded rules: id, severity, profiles, tags and title (json: also references, platforms, methods and where each is defined)'
            cand show 'One rule in full: texts, severity, tags, profiles, references, notes, platforms, vars, its checks as written, remediation and where it is defined'
            cand check 'Validate rule files without scanning, and lint them for missing remediation or references'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'plumb;rules;help;list'= {
        }
        &'plumb;rules;help;show'= {
        }
        &'plumb;rules;help;check'= {
        }
        &'plumb;rules;help;help'= {
        }
        &'plumb;verify-policy'= {
            cand --allowed-signers 'OpenSSH allowed_signers file with the keys trusted to sign policies'
            cand --key 'A single trusted public key (.pub); wins over allowed_signers'
            cand --signature 'The detached signature [default: POLICY.sig]'
            cand --revocation-list 'Fingerprints of revoked keys, one a line [default: the policy''s revocation_list]'
            cand --color 'When to use colors (auto: only on a terminal, and never when NO_COLOR is set)'
            cand --format 'Output format [default: table on a terminal, json otherwise]'
            cand --state 'State file, or a postgres:// URL [default: <state dir>/plumb/state.db]'
            cand --config 'Config file [default: <config dir>/plumb/config.yaml]'
            cand -q 'Only print errors on stderr'
            cand --quiet 'Only print errors on stderr'
            cand -v 'More detail on stderr (-v: info, -vv: debug with the time since start, -vvv: trace)'
            cand --verbose 'More detail on stderr (-v: info, -vv: debug with the time since start, -vvv: trace)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'plumb;generate'= {
            cand --color 'When to use colors (auto: only on a terminal, and never when NO_COLOR is set)'
            cand --format 'Output format [default: table on a terminal, json otherwise]'
            cand --state 'State file, or a postgres:// URL [default: <state dir>/plumb/state.db]'
            cand --config 'Config file [default: <config dir>/plumb/config.yaml]'
            cand -q 'Only print errors on stderr'
            cand --quiet 'Only print errors on stderr'
            cand -v 'More detail on stderr (-v: info, -vv: debug with the time since start, -vvv: trace)'
            cand --verbose 'More detail on stderr (-v: info, -vv: debug with the time since start, -vvv: trace)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand man 'Write the man pages (plumb.1 and one per subcommand) into DIR, for example /usr/local/share/man/man1'
            cand completions 'Write the shell completions (bash, zsh, fish, elvish, powershell) into DIR'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'plumb;generate;man'= {
            cand --color 'When to use colors (auto: only on a terminal, and never when NO_COLOR is set)'
            cand --format 'Output format [default: table on a terminal, json otherwise]'
            cand --state 'State file, or a postgres:// URL [default: <state dir>/plumb/state.db]'
            cand --config 'Config file [default: <config dir>/plumb/config.yaml]'
            cand -q 'Only print errors on stderr'
            cand --quiet 'Only print errors on stderr'
            cand -v 'More detail on stderr (-v: info, -vv: debug with the time since start, -vvv: trace)'
            cand --verbose 'More detail on stderr (-v: info, -vv: debug with the time since start, -vvv: trace)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'plumb;generate;completions'= {
            cand --color 'When to use colors (auto: only on a terminal, and never when NO_COLOR is set)'
            cand --format 'Output format [default: table on a terminal, json otherwise]'
            cand --state 'State file, or a postgres:// URL [default: <state dir>/plumb/state.db]'
            cand --config 'Config file [default: <config dir>/plumb/config.yaml]'
            cand -q 'Only print errors on stderr'
            cand --quiet 'Only print errors on stderr'
            cand -v 'More detail on stderr (-v: info, -vv: debug with the time since start, -vvv: trace)'
            cand --verbose 'More detail on stderr (-v: info, -vv: debug with the time since start, -vvv: trace)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'plumb;generate;help'= {
            cand man 'Write the man pages (plumb.1 and one per subcommand) into DIR, for example /usr/local/share/man/man1'
            cand completions 'Write the shell completions (bash, zsh, fish, elvish, powershell) into DIR'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'plumb;generate;help;man'= {
        }
        &'plumb;generate;help;completions'= {
        }
        &'plumb;generate;help;help'= {
        }
        &'plumb;help'= {
            cand scan 'Check hosts against rules and report (and store) the results'
            cand state 'Inspect, verify, prune, migrate and copy the state (a file, or a PostgreSQL database)'
            cand schedule 'Scheduled scans without a daemon: `run-once` for cron or a systemd timer, status, maintenance'
            cand drift 'What changed: between scans, since a time, at a time, host against host, or across the fleet'
            cand rules 'The rule pack without scanning: list, show one rule, validate and lint rule files'
            cand verify-policy 'Check a scan policy''s signature, signer, revocation, schema, clamps and pins'
            cand generate 'Write the man pages or shell completions into a directory, to install them'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'plumb;help;scan'= {
        }
        &'plumb;help;state'= {
            cand path 'Print the state file''s path'
            cand show 'Schema version, size, row counts and each host''s last scan'
            cand hosts 'Every host with its score, compliance tier and failing rules by severity'
            cand scans 'Recorded scans, newest first'
            cand history 'A host''s change log, newest first'
            cand check 'Integrity check, foreign keys and the change log''s hash chain (exit 1 if unsound)'
            cand migrate 'Apply pending schema migrations, including ones not applied automatically'
            cand prune 'Drop scans and change-log rows older than DURATION (current state, each host''s last scan and the scan with the highest policy version are kept)'
            cand vacuum 'Rebuild the file to reclaim space (a state file only)'
            cand copy 'Copy a whole state into an empty one: a file into PostgreSQL, or a database back to a file (either side a path or a postgres:// URL; --state is not used)'
            cand export 'Write what a consumer has not acknowledged: changed results in full, unchanged hosts as references, removals (JSON, or NDJSON with --format ndjson). Moves no cursor'
            cand ack 'Acknowledge an exported batch after uploading it: the consumer''s cursor moves to it'
            cand report 'The fleet''s HTML report (--format html, the default): hosts by score, findings, rule texts and trends, in one self-contained page'
            cand consumers 'Each export consumer''s cursor, last acknowledgement and whether a full sync is due'
        }
        &'plumb;help;state;path'= {
        }
        &'plumb;help;state;show'= {
        }
        &'plumb;help;state;hosts'= {
        }
        &'plumb;help;state;scans'= {
        }
        &'plumb;help;state;history'= {
        }
        &'plumb;help;state;check'= {
        }
        &'plumb;help;state;migrate'= {
        }
        &'plumb;help;state;prune'= {
        }
        &'plumb;help;state;vacuum'= {
        }
        &'plumb;help;state;copy'= {
        }
        &'plumb;help;state;export'= {
        }
        &'plumb;help;state;ack'= {
        }
        &'plumb;help;state;report'= {
        }
        &'plumb;help;state;consumers'= {
        }
        &'plumb;help;schedule'= {
            cand run-once 'Claim the hosts that are due, scan them, reschedule them, and exit (for cron or a systemd timer; overlapping runs never scan a host twice)'
            cand status 'Per host: tier, score, interval, next scan, how overdue, maintenance and backoff'
            cand maintenance 'Keep a host out of scheduled scans until a time, for a while, or no longer'
            cand cron 'Print a crontab line and a systemd service and timer that run `run-once` with these options'
        }
        &'plumb;help;schedule;run-once'= {
        }
        &'plumb;help;schedule;status'= {
        }
        &'plumb;help;schedule;maintenance'= {
        }
        &'plumb;help;schedule;cron'= {
        }
        &'plumb;help;drift'= {
        }
        &'plumb;help;rules'= {
            cand list 'The loaded rules: id, severity, profiles, tags and title (json: also references, platforms, methods and where each is defined)'
            cand show 'One rule in full: texts, severity, tags, profiles, references, notes, platforms, vars, its checks as written, remediation and where it is defined'
            cand check 'Validate rule files without scanning, and lint them for missing remediation or references'
        }
        &'plumb;help;rules;list'= {
        }
        &'plumb;help;rules;show'= {
        }
        &'plumb;help;rules;check'= {
        }
        &'plumb;help;verify-policy'= {
        }
        &'plumb;help;generate'= {
            cand man 'Write the man pages (plumb.1 and one per subcommand) into DIR, for example /usr/local/share/man/man1'
            cand completions 'Write the shell completions (bash, zsh, fish, elvish, powershell) into DIR'
        }
        &'plumb;help;generate;man'= {
        }
        &'plumb;help;generate;completions'= {
        }
        &'plumb;help;help'= {
        }
    ]
    $completions[$command]
}
