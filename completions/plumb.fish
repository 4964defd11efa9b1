# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_plumb_global_optspecs
    string join \n color= q/quiet v/verbose format= state= config= h/help V/version
end

function __fish_plumb_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_plumb_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_plumb_using_subcommand
    set -l cmd (__fish_plumb_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c plumb -n "__fish_plumb_needs_command" -l color -d 'When to use colors (auto: only on a terminal, and never when NO_COLOR is set)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c plumb -n "__fish_plumb_needs_command" -l format -d 'Output format [default: table on a terminal, json otherwise]' -r -f -a "table\t''
json\t''
ndjson\t''
junit\t''
sarif\t''
markdown\t''
html\t'A self-contained page (see [`html`]); not for a terminal'"
complete -c plumb -n "__fish_plumb_needs_command" -l state -d 'State file, or a postgres:// URL [default: <state dir>/plumb/state.db]' -r -F
complete -c plumb -n "__fish_plumb_needs_command" -l config -d 'Config file [default: <config dir>/plumb/config.yaml]' -r -F
complete -c plumb -n "__fish_plumb_needs_command" -s q -l quiet -d 'Only print errors on stderr'
complete -c plumb -n "__fish_plumb_needs_command" -s v -l verbose -d 'More detail on stderr (-v: info, -vv: debug with the time since start, -vvv: trace)'
complete -c plumb -n "__fish_plumb_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c plumb -n "__fish_plumb_needs_command" -s V -l version -d 'Print version'
complete -c plumb -n "__fish_plumb_needs_command" -f -a "scan" -d 'Check hosts against rules and report (and store) the results'
complete -c plumb -n "__fish_plumb_needs_command" -f -a "state" -d 'Inspect, verify, prune, migrate and copy the state (a file, or a PostgreSQL database)'
complete -c plumb -n "__fish_plumb_needs_command" -f -a "schedule" -d 'Scheduled scans without a daemon: `run-once` for cron or a systemd timer, status, maintenance'
complete -c plumb -n "__fish_plumb_needs_command" -f -a "drift" -d 'What changed: between scans, since a time, at a time, host against host, or across the fleet'
complete -c plumb -n "__fish_plumb_needs_command" -f -a "rules" -d 'The rule pack without scanning: list, show one rule, validate and lint rule files'
complete -c plumb -n "__fish_plumb_needs_command" -f -a "verify-policy" -d 'Check a scan policy\'s signature, signer, revocation, schema, clamps and pins'
complete -c plumb -n "__fish_plumb_needs_command" -f -a "generate" -d 'Write the man pages or shell completions into a directory, to install them'
complete -c plumb -n "__fish_plumb_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c plumb -n "__fish_plumb_using_subcommand scan" -s i -l inventory -d 'Hosts from an inventory: plumb\'s YAML format or an Ansible YAML inventory' -r -F
complete -c plumb -n "__fish_plumb_using_subcommand scan" -l limit -d 'Only inventory hosts matching an Ansible host pattern: a:b union, a:&b intersection, a:!b exclusion; globs, ~regex; names, groups, labels (repeatable: every one must match)' -r
complete -c plumb -n "__fish_plumb_using_subcommand scan" -l user -d 'Log in as this user (a user in HOST or the inventory wins)' -r
complete -c plumb -n "__fish_plumb_using_subcommand scan" -l port -d 'SSH port (a port in HOST or the inventory wins)' -r
complete -c plumb -n "__fish_plumb_using_subcommand scan" -l identity -d 'Private key to authenticate with' -r -F
complete -c plumb -n "__fish_plumb_using_subcommand scan" -s o -l ssh-option -d 'An ssh option, as for `ssh -o` (repeatable)' -r
complete -c plumb -n "__fish_plumb_using_subcommand scan" -l ssh-config -d 'Use this ssh_config instead of ~/.ssh/config and /etc/ssh/ssh_config' -r -F
complete -c plumb -n "__fish_plumb_using_subcommand scan" -l host-key-policy -d 'strict: the host key must be known; accept-new: trust a first-seen key. A changed key is always refused [default: the policy\'s, else strict]' -r -f -a "strict\t'The key must already be in a known_hosts file (`StrictHostKeyChecking yes`)'
accept-new\t'Trust on first use: an unknown key is recorded (`StrictHostKeyChecking accept-new`)'"
complete -c plumb -n "__fish_plumb_using_subcommand scan" -l known-hosts -d 'known_hosts file to check host keys against' -r -F
complete -c plumb -n "__fish_plumb_using_subcommand scan" -l connect-timeout -d 'Seconds to wait for a connection [default: the policy\'s, else 10]' -r
complete -c plumb -n "__fish_plumb_using_subcommand scan" -l probe-timeout -d 'Seconds the whole probe may take on one host [default: the policy\'s, else 300]' -r
complete -c plumb -n "__fish_plumb_using_subcommand scan" -l concurrency -d 'Hosts scanned at once [default: the policy\'s, else 16]' -r
complete -c plumb -n "__fish_plumb_using_subcommand scan" -l max-output -d 'Most bytes one host may send back before it is cut off' -r
complete -c plumb -n "__fish_plumb_using_subcommand scan" -l rules -d 'Rule files or directories (replaces the embedded default pack; repeatable)' -r -F
complete -c plumb -n "__fish_plumb_using_subcommand scan" -l var -d 'Set a rule variable (repeatable)' -r
complete -c plumb -n "__fish_plumb_using_subcommand scan" -l vars-file -d 'Rule variables from a YAML file: a mapping of names to values, or Kensa\'s defaults file (`variables:`). Repeatable, later files win; --var, inventory and policy vars win over it' -r -F
complete -c plumb -n "__fish_plumb_using_subcommand scan" -l rules-dialect -d 'The format rule files are written in: auto reads a file with a Kensa-only key (category, transactional, depends_on, ...) as Kensa\'s and any other as plumb\'s' -r -f -a "auto\t'Each file in its own dialect: Kensa when it has a Kensa-only key, else plumb'
plumb\t'Every file as a plumb rule file'
kensa\t'Every file as a Kensa rule file'"
complete -c plumb -n "__fish_plumb_using_subcommand scan" -l root -d 'Scan a directory tree (image, chroot, container filesystem) instead of the live system' -r -F
complete -c plumb -n "__fish_plumb_using_subcommand scan" -l profile -d 'Only rules in this profile, such as cis_l1_server (repeatable: rules in any of them)' -r
complete -c plumb -n "__fish_plumb_using_subcommand scan" -l rule -d 'Only these rules (repeatable)' -r
complete -c plumb -n "__fish_plumb_using_subcommand scan" -l tag -d 'Only rules with one of these tags (repeatable)' -r
complete -c plumb -n "__fish_plumb_using_subcommand scan" -l min-severity -d 'Only rules at or above this severity' -r -f -a "low\t''
medium\t''
high\t''
critical\t''"
complete -c plumb -n "__fish_plumb_using_subcommand scan" -l exclude -d 'Leave these rules out (repeatable)' -r
complete -c plumb -n "__fish_plumb_using_subcommand scan" -l fail-on -d 'Exit 1 when a rule at or above this severity fails. `never` is a soft fail of findings only: a host that could not be scanned still exits 3, and so does a rule in `error` unless --allow-errors [default: the config file\'s fail_on, else low]' -r -f -a "low\t''
medium\t''
high\t''
critical\t''
never\t''"
complete -c plumb -n "__fish_plumb_using_subcommand scan" -l output -d 'Write the report to FILE (atomically) instead of stdout' -r -F
complete -c plumb -n "__fish_plumb_using_subcommand scan" -l evidence-max-bytes -d 'Evidence cap per rule in bytes, at most 262144 [default: the policy\'s, else 65536]' -r
complete -c plumb -n "__fish_plumb_using_subcommand scan" -l host-name -d 'Name the scanned host in reports and the state file (default: the hostname, or the --root directory name)' -r
complete -c plumb -n "__fish_plumb_using_subcommand scan" -l waivers -d 'Accept the failures these waivers name (repeatable; see README "Waivers"). Under a signed policy the file must be signed too (FILE.sig)' -r -F
complete -c plumb -n "__fish_plumb_using_subcommand scan" -l policy -d 'The signed scan policy (rule sets, vars, ssh, evidence, schedule and export settings) [default: the config file\'s policy]' -r -F
complete -c plumb -n "__fish_plumb_using_subcommand scan" -l allowed-signers -d 'OpenSSH allowed_signers file with the keys trusted to sign policies' -r -F
complete -c plumb -n "__fish_plumb_using_subcommand scan" -l key -d 'A single trusted public key (.pub); wins over allowed_signers' -r -F
complete -c plumb -n "__fish_plumb_using_subcommand scan" -l signature -d 'The detached signature [default: POLICY.sig]' -r -F
complete -c plumb -n "__fish_plumb_using_subcommand scan" -l revocation-list -d 'Fingerprints of revoked keys, one a line [default: the policy\'s revocation_list]' -r -F
complete -c plumb -n "__fish_plumb_using_subcommand scan" -l explain -d 'Show this rule in full: expected and actual values, source, remediation and references (repeatable)' -r
complete -c plumb -n "__fish_plumb_using_subcommand scan" -l color -d 'When to use colors (auto: only on a terminal, and never when NO_COLOR is set)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c plumb -n "__fish_plumb_using_subcommand scan" -l format -d 'Output format [default: table on a terminal, json otherwise]' -r -f -a "table\t''
json\t''
ndjson\t''
junit\t''
sarif\t''
markdown\t''
html\t'A self-contained page (see [`html`]); not for a terminal'"
complete -c plumb -n "__fish_plumb_using_subcommand scan" -l state -d 'State file, or a postgres:// URL [default: <state dir>/plumb/state.db]' -r -F
complete -c plumb -n "__fish_plumb_using_subcommand scan" -l config -d 'Config file [default: <config dir>/plumb/config.yaml]' -r -F
complete -c plumb -n "__fish_plumb_using_subcommand scan" -l local -d 'Scan this machine too (it is the default when no host or inventory is given)'
complete -c plumb -n "__fish_plumb_using_subcommand scan" -l sudo -d 'Run the probe through `sudo -n` on the host'
complete -c plumb -n "__fish_plumb_using_subcommand scan" -l allow-errors -d 'Do not fail the run (exit 3) for rules that could not be assessed (status `error`) at or above --fail-on (any severity with --fail-on never); they are still reported'
complete -c plumb -n "__fish_plumb_using_subcommand scan" -l no-store -d 'Do not record the results in the state file'
complete -c plumb -n "__fish_plumb_using_subcommand scan" -l via-shell -d 'Gather facts with the generated sh script (what remote scans run) instead of natively'
complete -c plumb -n "__fish_plumb_using_subcommand scan" -l allow-unsigned-policy -d 'Use a policy whose signature does not verify (development only; warns). For `schedule run-once`, also run without any policy'
complete -c plumb -n "__fish_plumb_using_subcommand scan" -l summary -d 'Print the header and the summary (counts, score, changes, errors) only'
complete -c plumb -n "__fish_plumb_using_subcommand scan" -s q -l quiet -d 'Only print errors on stderr'
complete -c plumb -n "__fish_plumb_using_subcommand scan" -s v -l verbose -d 'More detail on stderr (-v: info, -vv: debug with the time since start, -vvv: trace)'
complete -c plumb -n "__fish_plumb_using_subcommand scan" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c plumb -n "__fish_plumb_using_subcommand scan" -s V -l version -d 'Print version'
complete -c plumb -n "__fish_plumb_using_subcommand state; and not __fish_seen_subcommand_from path show hosts scans history check migrate prune vacuum copy export ack report consumers help" -l color -d 'When to use colors (auto: only on a terminal, and never when NO_COLOR is set)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c plumb -n "__fish_plumb_using_subcommand state; and not __fish_seen_subcommand_from path show hosts scans history check migrate prune vacuum copy export ack report consumers help" -l format -d 'Output format [default: table on a terminal, json otherwise]' -r -f -a "table\t''
json\t''
ndjson\t''
junit\t''
sarif\t''
markdown\t''
html\t'A self-contained page (see [`html`]); not for a terminal'"
complete -c plumb -n "__fish_plumb_using_subcommand state; and not __fish_seen_subcommand_from path show hosts scans history check migrate prune vacuum copy export ack report consumers help" -l state -d 'State file, or a postgres:// URL [default: <state dir>/plumb/state.db]' -r -F
complete -c plumb -n "__fish_plumb_using_subcommand state; and not __fish_seen_subcommand_from path show hosts scans history check migrate prune vacuum copy export ack report consumers help" -l config -d 'Config file [default: <config dir>/plumb/config.yaml]' -r -F
complete -c plumb -n "__fish_plumb_using_subcommand state; and not __fish_seen_subcommand_from path show hosts scans history check migrate prune vacuum copy export ack report consumers help" -s q -l quiet -d 'Only print errors on stderr'
complete -c plumb -n "__fish_plumb_using_subcommand state; and not __fish_seen_subcommand_from path show hosts scans history check migrate prune vacuum copy export ack report consumers help" -s v -l verbose -d 'More detail on stderr (-v: info, -vv: debug with the time since start, -vvv: trace)'
complete -c plumb -n "__fish_plumb_using_subcommand state; and not __fish_seen_subcommand_from path show hosts scans history check migrate prune vacuum copy export ack report consumers help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c plumb -n "__fish_plumb_using_subcommand state; and not __fish_seen_subcommand_from path show hosts scans history check migrate prune vacuum copy export ack report consumers help" -s V -l version -d 'Print version'
complete -c plumb -n "__fish_plumb_using_subcommand state; and not __fish_seen_subcommand_from path show hosts scans history check migrate prune vacuum copy export ack report consumers help" -f -a "path" -d 'Print the state file\'s path'
complete -c plumb -n "__fish_plumb_using_subcommand state; and not __fish_seen_subcommand_from path show hosts scans history check migrate prune vacuum copy export ack report consumers help" -f -a "show" -d 'Schema version, size, row counts and each host\'s last scan'
complete -c plumb -n "__fish_plumb_using_subcommand state; and not __fish_seen_subcommand_from path show hosts scans history check migrate prune vacuum copy export ack report consumers help" -f -a "hosts" -d 'Every host with its score, compliance tier and failing rules by severity'
complete -c plumb -n "__fish_plumb_using_subcommand state; and not __fish_seen_subcommand_from path show hosts scans history check migrate prune vacuum copy export ack report consumers help" -f -a "scans" -d 'Recorded scans, newest first'
complete -c plumb -n "__fish_plumb_using_subcommand state; and not __fish_seen_subcommand_from path show hosts scans history check migrate prune vacuum copy export ack report consumers help" -f -a "history" -d 'A host\'s change log, newest first'
complete -c plumb -n "__fish_plumb_using_subcommand state; and not __fish_seen_subcommand_from path show hosts scans history check migrate prune vacuum copy export ack report consumers help" -f -a "check" -d 'Integrity check, foreign keys and the change log\'s hash chain (exit 1 if unsound)'
complete -c plumb -n "__fish_plumb_using_subcommand state; and not __fish_seen_subcommand_from path show hosts scans history check migrate prune vacuum copy export ack report consumers help" -f -a "migrate" -d 'Apply pending schema migrations, including ones not applied automatically'
complete -c plumb -n "__fish_plumb_using_subcommand state; and not __fish_seen_subcommand_from path show hosts scans history check migrate prune vacuum copy export ack report consumers help" -f -a "prune" -d 'Drop scans and change-log rows older than DURATION (current state, each host\'s last scan and the scan with the highest policy version are kept)'
complete -c plumb -n "__fish_plumb_using_subcommand state; and not __fish_seen_subcommand_from path show hosts scans history check migrate prune vacuum copy export ack report consumers help" -f -a "vacuum" -d 'Rebuild the file to reclaim space (a state file only)'
complete -c plumb -n "__fish_plumb_using_subcommand state; and not __fish_seen_subcommand_from path show hosts scans history check migrate prune vacuum copy export ack report consumers help" -f -a "copy" -d 'Copy a whole state into an empty one: a file into PostgreSQL, or a database back to a file (either side a path or a postgres:// URL; --state is not used)'
complete -c plumb -n "__fish_plumb_using_subcommand state; and not __fish_seen_subcommand_from path show hosts scans history check migrate prune vacuum copy export ack report consumers help" -f -a "export" -d 'Write what a consumer has not acknowledged: changed results in full, unchanged hosts as references, removals (JSON, or NDJSON with --format ndjson). Moves no cursor'
complete -c plumb -n "__fish_plumb_using_subcommand state; and not __fish_seen_subcommand_from path show hosts scans history check migrate prune vacuum copy export ack report consumers help" -f -a "ack" -d 'Acknowledge an exported batch after uploading it: the consumer\'s cursor moves to it'
complete -c plumb -n "__fish_plumb_using_subcommand state; and not __fish_seen_subcommand_from path show hosts scans history check migrate prune vacuum copy export ack report consumers help" -f -a "report" -d 'The fleet\'s HTML report (--format html, the default): hosts by score, findings, rule texts and trends, in one self-contained page'
complete -c plumb -n "__fish_plumb_using_subcommand state; and not __fish_seen_subcommand_from path show hosts scans history check migrate prune vacuum copy export ack report consumers help" -f -a "consumers" -d 'Each export consumer\'s cursor, last acknowledgement and whether a full sync is due'
complete -c plumb -n "__fish_plumb_using_subcommand state; and not __fish_seen_subcommand_from path show hosts scans history check migrate prune vacuum copy export ack report consumers help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c plumb -n "__fish_plumb_using_subcommand state; and __fish_seen_subcommand_from path" -l color -d 'When to use colors (auto: only on a terminal, and never when NO_COLOR is set)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c plumb -n "__fish_plumb_using_subcommand state; and __fish_seen_subcommand_from path" -l format -d 'Output format [default: table on a terminal, json otherwise]' -r -f -a "table\t''
json\t''
ndjson\t''
junit\t''
sarif\t''
markdown\t''
html\t'A self-contained page (see [`html`]); not for a terminal'"
complete -c plumb -n "__fish_plumb_using_subcommand state; and __fish_seen_subcommand_from path" -l state -d 'State file, or a postgres:// URL [default: <state dir>/plumb/state.db]' -r -F
complete -c plumb -n "__fish_plumb_using_subcommand state; and __fish_seen_subcommand_from path" -l config -d 'Config file [default: <config dir>/plumb/config.yaml]' -r -F
complete -c plumb -n "__fish_plumb_using_subcommand state; and __fish_seen_subcommand_from path" -s q -l quiet -d 'Only print errors on stderr'
complete -c plumb -n "__fish_plumb_using_subcommand state; and __fish_seen_subcommand_from path" -s v -l verbose -d 'More detail on stderr (-v: info, -vv: debug with the time since start, -vvv: trace)'
complete -c plumb -n "__fish_plumb_using_subcommand state; and __fish_seen_subcommand_from path" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c plumb -n "__fish_plumb_using_subcommand state; and __fish_seen_subcommand_from path" -s V -l version -d 'Print version'
complete -c plumb -n "__fish_plumb_using_subcommand state; and __fish_seen_subcommand_from show" -l color -d 'When to use colors (auto: only on a terminal, and never when NO_COLOR is set)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c plumb -n "__fish_plumb_using_subcommand state; and __fish_seen_subcommand_from show" -l format -d 'Output format [default: table on a terminal, json otherwise]' -r -f -a "table\t''
json\t''
ndjson\t''
junit\t''
sarif\t''
markdown\t''
html\t'A self-contained page (see [`html`]); not for a terminal'"
complete -c plumb -n "__fish_plumb_using_subcommand state; and __fish_seen_subcommand_from show" -l state -d 'State file, or a postgres:// URL [default: <state dir>/plumb/state.db]' -r -F
complete -c plumb -n "__fish_plumb_using_subcommand state; and __fish_seen_subcommand_from show" -l config -d 'Config file [default: <config dir>/plumb/config.yaml]' -r -F
complete -c plumb -n "__fish_plumb_using_subcommand state; and __fish_seen_subcommand_from show" -s q -l quiet -d 'Only print errors on stderr'
complete -c plumb -n "__fish_plumb_using_subcommand state; and __fish_seen_subcommand_from show" -s v -l verbose -d 'More detail on stderr (-v: info, -vv: debug with the time since start, -vvv: trace)'
complete -c plumb -n "__fish_plumb_using_subcommand state; and __fish_seen_subcommand_from show" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c plumb -n "__fish_plumb_using_subcommand state; and __fish_seen_subcommand_from show" -s V -l version -d 'Print version'
complete -c plumb -n "__fish_plumb_using_subcommand state; and __fish_seen_subcommand_from hosts" -l color -d 'When to use colors (auto: only on a terminal, and never when NO_COLOR is set)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c plumb -n "__fish_plumb_using_subcommand state; and __fish_seen_subcommand_from hosts" -l format -d 'Output format [default: table on a terminal, json otherwise]' -r -f -a "table\t''
json\t''
ndjson\t''
junit\t''
sarif\t''
markdown\t''
html\t'A self-contained page (see [`html`]); not for a terminal'"
complete -c plumb -n "__fish_plumb_using_subcommand state; and __fish_seen_subcommand_from hosts" -l state -d 'State file, or a postgres:// URL [default: <state dir>/plumb/state.db]' -r -F
complete -c plumb -n "__fish_plumb_using_subcommand state; and __fish_seen_subcommand_from hosts" -l config -d 'Config file [default: <config dir>/plumb/config.yaml]' -r -F
complete -c plumb -n "__fish_plumb_using_subcommand state; and __fish_seen_subcommand_from hosts" -s q -l quiet -d 'Only print errors on stderr'
complete -c plumb -n "__fish_plumb_using_subcommand state; and __fish_seen_subcommand_from hosts" -s v -l verbose -d 'More detail on stderr (-v: info, -vv: debug with the time since start, -vvv: trace)'
complete -c plumb -n "__fish_plumb_using_subcommand state; and __fish_seen_subcommand_from hosts" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c plumb -n "__fish_plumb_using_subcommand state; and __fish_seen_subcommand_from hosts" -s V -l version -d 'Print version'
complete -c plumb -n "__fish_plumb_using_subcommand state; and __fish_seen_subcommand_from scans" -l host -d 'Only scans of this host' -r
complete -c plumb -n "__fish_plumb_using_subcommand state; and __fish_seen_subcommand_from scans" -l limit -r
complete -c plumb -n "__fish_plumb_using_subcommand state; and __fish_seen_subcommand_from scans" -l color -d 'When to use colors (auto: only on a terminal, and never when NO_COLOR is set)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c plumb -n "__fish_plumb_using_subcommand state; and __fish_seen_subcommand_from scans" -l format -d 'Output format [default: table on a terminal, json otherwise]' -r -f -a "table\t''
json\t''
ndjson\t''
junit\t''
sarif\t''
markdown\t''
html\t'A self-contained page (see [`html`]); not for a terminal'"
complete -c plumb -n "__fish_plumb_using_subcommand state; and __fish_seen_subcommand_from scans" -l state -d 'State file, or a postgres:// URL [default: <state dir>/plumb/state.db]' -r -F
complete -c plumb -n "__fish_plumb_using_subcommand state; and __fish_seen_subcommand_from scans" -l config -d 'Config file [default: <config dir>/plumb/config.yaml]' -r -F
complete -c plumb -n "__fish_plumb_using_subcommand state; and __fish_seen_subcommand_from scans" -s q -l quiet -d 'Only print errors on stderr'
complete -c plumb -n "__fish_plumb_using_subcommand state; and __fish_seen_subcommand_from scans" -s v -l verbose -d 'More detail on stderr (-v: info, -vv: debug with the time since start, -vvv: trace)'
complete -c plumb -n "__fish_plumb_using_subcommand state; and __fish_seen_subcommand_from scans" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c plumb -n "__fish_plumb_using_subcommand state; and __fish_seen_subcommand_from scans" -s V -l version -d 'Print version'
complete -c plumb -n "__fish_plumb_using_subcommand state; and __fish_seen_subcommand_from history" -l rule -d 'Only changes of this rule' -r
complete -c plumb -n "__fish_plumb_using_subcommand state; and __fish_seen_subcommand_from history" -l limit -r
complete -c plumb -n "__fish_plumb_using_subcommand state; and __fish_seen_subcommand_from history" -l color -d 'When to use colors (auto: only on a terminal, and never when NO_COLOR is set)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c plumb -n "__fish_plumb_using_subcommand state; and __fish_seen_subcommand_from history" -l format -d 'Output format [default: table on a terminal, json otherwise]' -r -f -a "table\t''
json\t''
ndjson\t''
junit\t''
sarif\t''
markdown\t''
html\t'A self-contained page (see [`html`]); not for a terminal'"
complete -c plumb -n "__fish_plumb_using_subcommand state; and __fish_seen_subcommand_from history" -l state -d 'State file, or a postgres:// URL [default: <state dir>/plumb/state.db]' -r -F
complete -c plumb -n "__fish_plumb_using_subcommand state; and __fish_seen_subcommand_from history" -l config -d 'Config file [default: <config dir>/plumb/config.yaml]' -r -F
complete -c plumb -n "__fish_plumb_using_subcommand state; and __fish_seen_subcommand_from history" -s q -l quiet -d 'Only print errors on stderr'
complete -c plumb -n "__fish_plumb_using_subcommand state; and __fish_seen_subcommand_from history" -s v -l verbose -d 'More detail on stderr (-v: info, -vv: debug with the time since start, -vvv: trace)'
complete -c plumb -n "__fish_plumb_using_subcommand state; and __fish_seen_subcommand_from history" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c plumb -n "__fish_plumb_using_subcommand state; and __fish_seen_subcommand_from history" -s V -l version -d 'Print version'
complete -c plumb -n "__fish_plumb_using_subcommand state; and __fish_seen_subcommand_from check" -l color -d 'When to use colors (auto: only on a terminal, and never when NO_COLOR is set)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c plumb -n "__fish_plumb_using_subcommand state; and __fish_seen_subcommand_from check" -l format -d 'Output format [default: table on a terminal, json otherwise]' -r -f -a "table\t''
json\t''
ndjson\t''
junit\t''
sarif\t''
markdown\t''
html\t'A self-contained page (see [`html`]); not for a terminal'"
complete -c plumb -n "__fish_plumb_using_subcommand state; and __fish_seen_subcommand_from check" -l state -d 'State file, or a postgres:// URL [default: <state dir>/plumb/state.db]' -r -F
complete -c plumb -n "__fish_plumb_using_subcommand state; and __fish_seen_subcommand_from check" -l config -d 'Config file [default: <config dir>/plumb/config.yaml]' -r -F
complete -c plumb -n "__fish_plumb_using_subcommand state; and __fish_seen_subcommand_from check" -s q -l quiet -d 'Only print errors on stderr'
complete -c plumb -n "__fish_plumb_using_subcommand state; and __fish_seen_subcommand_from check" -s v -l verbose -d 'More detail on stderr (-v: info, -vv: debug with the time since start, -vvv: trace)'
complete -c plumb -n "__fish_plumb_using_subcommand state; and __fish_seen_subcommand_from check" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c plumb -n "__fish_plumb_using_subcommand state; and __fish_seen_subcommand_from check" -s V -l version -d 'Print version'
complete -c plumb -n "__fish_plumb_using_subcommand state; and __fish_seen_subcommand_from migrate" -l color -d 'When to use colors (auto: only on a terminal, and never when NO_COLOR is set)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c plumb -n "__fish_plumb_using_subcommand state; and __fish_seen_subcommand_from migrate" -l format -d 'Output format [default: table on a terminal, json otherwise]' -r -f -a "table\t''
json\t''
ndjson\t''
junit\t''
sarif\t''
markdown\t''
html\t'A self-contained page (see [`html`]); not for a terminal'"
complete -c plumb -n "__fish_plumb_using_subcommand state; and __fish_seen_subcommand_from migrate" -l state -d 'State file, or a postgres:// URL [default: <state dir>/plumb/state.db]' -r -F
complete -c plumb -n "__fish_plumb_using_subcommand state; and __fish_seen_subcommand_from migrate" -l config -d 'Config file [default: <config dir>/plumb/config.yaml]' -r -F
complete -c plumb -n "__fish_plumb_using_subcommand state; and __fish_seen_subcommand_from migrate" -s q -l quiet -d 'Only print errors on stderr'
complete -c plumb -n "__fish_plumb_using_subcommand state; and __fish_seen_subcommand_from migrate" -s v -l verbose -d 'More detail on stderr (-v: info, -vv: debug with the time since start, -vvv: trace)'
complete -c plumb -n "__fish_plumb_using_subcommand state; and __fish_seen_subcommand_from migrate" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c plumb -n "__fish_plumb_using_subcommand state; and __fish_seen_subcommand_from migrate" -s V -l version -d 'Print version'
complete -c plumb -n "__fish_plumb_using_subcommand state; and __fish_seen_subcommand_from prune" -l older-than -d 'Age such as 90s, 15m, 4h, 30d' -r
complete -c plumb -n "__fish_plumb_using_subcommand state; and __fish_seen_subcommand_from prune" -l color -d 'When to use colors (auto: only on a terminal, and never when NO_COLOR is set)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c plumb -n "__fish_plumb_using_subcommand state; and __fish_seen_subcommand_from prune" -l format -d 'Output format [default: table on a terminal, json otherwise]' -r -f -a "table\t''
json\t''
ndjson\t''
junit\t''
sarif\t''
markdown\t''
html\t'A self-contained page (see [`html`]); not for a terminal'"
complete -c plumb -n "__fish_plumb_using_subcommand state; and __fish_seen_subcommand_from prune" -l state -d 'State file, or a postgres:// URL [default: <state dir>/plumb/state.db]' -r -F
complete -c plumb -n "__fish_plumb_using_subcommand state; and __fish_seen_subcommand_from prune" -l config -d 'Config file [default: <config dir>/plumb/config.yaml]' -r -F
complete -c plumb -n "__fish_plumb_using_subcommand state; and __fish_seen_subcommand_from prune" -s q -l quiet -d 'Only print errors on stderr'
complete -c plumb -n "__fish_plumb_using_subcommand state; and __fish_seen_subcommand_from prune" -s v -l verbose -d 'More detail on stderr (-v: info, -vv: debug with the time since start, -vvv: trace)'
complete -c plumb -n "__fish_plumb_using_subcommand state; and __fish_seen_subcommand_from prune" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c plumb -n "__fish_plumb_using_subcommand state; and __fish_seen_subcommand_from prune" -s V -l version -d 'Print version'
complete -c plumb -n "__fish_plumb_using_subcommand state; and __fish_seen_subcommand_from vacuum" -l color -d 'When to use colors (auto: only on a terminal, and never when NO_COLOR is set)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c plumb -n "__fish_plumb_using_subcommand state; and __fish_seen_subcommand_from vacuum" -l format -d 'Output format [default: table on a terminal, json otherwise]' -r -f -a "table\t''
json\t''
ndjson\t''
junit\t''
sarif\t''
markdown\t''
html\t'A self-contained page (see [`html`]); not for a terminal'"
complete -c plumb -n "__fish_plumb_using_subcommand state; and __fish_seen_subcommand_from vacuum" -l state -d 'State file, or a postgres:// URL [default: <state dir>/plumb/state.db]' -r -F
complete -c plumb -n "__fish_plumb_using_subcommand state; and __fish_seen_subcommand_from vacuum" -l config -d 'Config file [default: <config dir>/plumb/config.yaml]' -r -F
complete -c plumb -n "__fish_plumb_using_subcommand state; and __fish_seen_subcommand_from vacuum" -s q -l quiet -d 'Only print errors on stderr'
complete -c plumb -n "__fish_plumb_using_subcommand state; and __fish_seen_subcommand_from vacuum" -s v -l verbose -d 'More detail on stderr (-v: info, -vv: debug with the time since start, -vvv: trace)'
complete -c plumb -n "__fish_plumb_using_subcommand state; and __fish_seen_subcommand_from vacuum" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c plumb -n "__fish_plumb_using_subcommand state; and __fish_seen_subcommand_from vacuum" -s V -l version -d 'Print version'
complete -c plumb -n "__fish_plumb_using_subcommand state; and __fish_seen_subcommand_from copy" -l color -d 'When to use colors (auto: only on a terminal, and never when NO_COLOR is set)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c plumb -n "__fish_plumb_using_subcommand state; and __fish_seen_subcommand_from copy" -l format -d 'Output format [default: table on a terminal, json otherwise]' -r -f -a "table\t''
json\t''
ndjson\t''
junit\t''
sarif\t''
markdown\t''
html\t'A self-contained page (see [`html`]); not for a terminal'"
complete -c plumb -n "__fish_plumb_using_subcommand state; and __fish_seen_subcommand_from copy" -l state -d 'State file, or a postgres:// URL [default: <state dir>/plumb/state.db]' -r -F
complete -c plumb -n "__fish_plumb_using_subcommand state; and __fish_seen_subcommand_from copy" -l config -d 'Config file [default: <config dir>/plumb/config.yaml]' -r -F
complete -c plumb -n "__fish_plumb_using_subcommand state; and __fish_seen_subcommand_from copy" -s q -l quiet -d 'Only print errors on stderr'
complete -c plumb -n "__fish_plumb_using_subcommand state; and __fish_seen_subcommand_from copy" -s v -l verbose -d 'More detail on stderr (-v: info, -vv: debug with the time since start, -vvv: trace)'
complete -c plumb -n "__fish_plumb_using_subcommand state; and __fish_seen_subcommand_from copy" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c plumb -n "__fish_plumb_using_subcommand state; and __fish_seen_subcommand_from copy" -s V -l version -d 'Print version'
complete -c plumb -n "__fish_plumb_using_subcommand state; and __fish_seen_subcommand_from export" -l consumer -d 'Who the batch is for (created on first export)' -r
complete -c plumb -n "__fish_plumb_using_subcommand state; and __fish_seen_subcommand_from export" -l output -d 'Write the batch to FILE (atomically) instead of stdout' -r -F
complete -c plumb -n "__fish_plumb_using_subcommand state; and __fish_seen_subcommand_from export" -l full-sync-horizon -d 'Send everything when the consumer\'s last acknowledged full batch is older than this, such as 12h or 7d [default: the policy\'s export.full_sync_horizon, else 7d]' -r
complete -c plumb -n "__fish_plumb_using_subcommand state; and __fish_seen_subcommand_from export" -l policy -d 'The signed scan policy (rule sets, vars, ssh, evidence, schedule and export settings) [default: the config file\'s policy]' -r -F
complete -c plumb -n "__fish_plumb_using_subcommand state; and __fish_seen_subcommand_from export" -l allowed-signers -d 'OpenSSH allowed_signers file with the keys trusted to sign policies' -r -F
complete -c plumb -n "__fish_plumb_using_subcommand state; and __fish_seen_subcommand_from export" -l key -d 'A single trusted public key (.pub); wins over allowed_signers' -r -F
complete -c plumb -n "__fish_plumb_using_subcommand state; and __fish_seen_subcommand_from export" -l signature -d 'The detached signature [default: POLICY.sig]' -r -F
complete -c plumb -n "__fish_plumb_using_subcommand state; and __fish_seen_subcommand_from export" -l revocation-list -d 'Fingerprints of revoked keys, one a line [default: the policy\'s revocation_list]' -r -F
complete -c plumb -n "__fish_plumb_using_subcommand state; and __fish_seen_subcommand_from export" -l color -d 'When to use colors (auto: only on a terminal, and never when NO_COLOR is set)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c plumb -n "__fish_plumb_using_subcommand state; and __fish_seen_subcommand_from export" -l format -d 'Output format [default: table on a terminal, json otherwise]' -r -f -a "table\t''
json\t''
ndjson\t''
junit\t''
sarif\t''
markdown\t''
html\t'A self-contained page (see [`html`]); not for a terminal'"
complete -c plumb -n "__fish_plumb_using_subcommand state; and __fish_seen_subcommand_from export" -l state -d 'State file, or a postgres:// URL [default: <state dir>/plumb/state.db]' -r -F
complete -c plumb -n "__fish_plumb_using_subcommand state; and __fish_seen_subcommand_from export" -l config -d 'Config file [default: <config dir>/plumb/config.yaml]' -r -F
complete -c plumb -n "__fish_plumb_using_subcommand state; and __fish_seen_subcommand_from export" -l full -d 'Send every result, whatever the consumer acknowledged'
complete -c plumb -n "__fish_plumb_using_subcommand state; and __fish_seen_subcommand_from export" -l allow-unsigned-policy -d 'Use a policy whose signature does not verify (development only; warns). For `schedule run-once`, also run without any policy'
complete -c plumb -n "__fish_plumb_using_subcommand state; and __fish_seen_subcommand_from export" -s q -l quiet -d 'Only print errors on stderr'
complete -c plumb -n "__fish_plumb_using_subcommand state; and __fish_seen_subcommand_from export" -s v -l verbose -d 'More detail on stderr (-v: info, -vv: debug with the time since start, -vvv: trace)'
complete -c plumb -n "__fish_plumb_using_subcommand state; and __fish_seen_subcommand_from export" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c plumb -n "__fish_plumb_using_subcommand state; and __fish_seen_subcommand_from export" -s V -l version -d 'Print version'
complete -c plumb -n "__fish_plumb_using_subcommand state; and __fish_seen_subcommand_from ack" -l consumer -r
complete -c plumb -n "__fish_plumb_using_subcommand state; and __fish_seen_subcommand_from ack" -l color -d 'When to use colors (auto: only on a terminal, and never when NO_COLOR is set)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c plumb -n "__fish_plumb_using_subcommand state; and __fish_seen_subcommand_from ack" -l format -d 'Output format [default: table on a terminal, json otherwise]' -r -f -a "table\t''
json\t''
ndjson\t''
junit\t''
sarif\t''
markdown\t''
html\t'A self-contained page (see [`html`]); not for a terminal'"
complete -c plumb -n "__fish_plumb_using_subcommand state; and __fish_seen_subcommand_from ack" -l state -d 'State file, or a postgres:// URL [default: <state dir>/plumb/state.db]' -r -F
complete -c plumb -n "__fish_plumb_using_subcommand state; and __fish_seen_subcommand_from ack" -l config -d 'Config file [default: <config dir>/plumb/config.yaml]' -r -F
complete -c plumb -n "__fish_plumb_using_subcommand state; and __fish_seen_subcommand_from ack" -s q -l quiet -d 'Only print errors on stderr'
complete -c plumb -n "__fish_plumb_using_subcommand state; and __fish_seen_subcommand_from ack" -s v -l verbose -d 'More detail on stderr (-v: info, -vv: debug with the time since start, -vvv: trace)'
complete -c plumb -n "__fish_plumb_using_subcommand state; and __fish_seen_subcommand_from ack" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c plumb -n "__fish_plumb_using_subcommand state; and __fish_seen_subcommand_from ack" -s V -l version -d 'Print version'
complete -c plumb -n "__fish_plumb_using_subcommand state; and __fish_seen_subcommand_from report" -l output -d 'Write the page to FILE (atomically) instead of stdout' -r -F
complete -c plumb -n "__fish_plumb_using_subcommand state; and __fish_seen_subcommand_from report" -l since -d 'Trends cover scans finished in the last AGE, such as 30d or 12h' -r
complete -c plumb -n "__fish_plumb_using_subcommand state; and __fish_seen_subcommand_from report" -l rules -d 'Rule files or directories for the rules\' texts [default: the embedded pack]' -r -F
complete -c plumb -n "__fish_plumb_using_subcommand state; and __fish_seen_subcommand_from report" -l color -d 'When to use colors (auto: only on a terminal, and never when NO_COLOR is set)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c plumb -n "__fish_plumb_using_subcommand state; and __fish_seen_subcommand_from report" -l format -d 'Output format [default: table on a terminal, json otherwise]' -r -f -a "table\t''
json\t''
ndjson\t''
junit\t''
sarif\t''
markdown\t''
html\t'A self-contained page (see [`html`]); not for a terminal'"
complete -c plumb -n "__fish_plumb_using_subcommand state; and __fish_seen_subcommand_from report" -l state -d 'State file, or a postgres:// URL [default: <state dir>/plumb/state.db]' -r -F
complete -c plumb -n "__fish_plumb_using_subcommand state; and __fish_seen_subcommand_from report" -l config -d 'Config file [default: <config dir>/plumb/config.yaml]' -r -F
complete -c plumb -n "__fish_plumb_using_subcommand state; and __fish_seen_subcommand_from report" -s q -l quiet -d 'Only print errors on stderr'
complete -c plumb -n "__fish_plumb_using_subcommand state; and __fish_seen_subcommand_from report" -s v -l verbose -d 'More detail on stderr (-v: info, -vv: debug with the time since start, -vvv: trace)'
complete -c plumb -n "__fish_plumb_using_subcommand state; and __fish_seen_subcommand_from report" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c plumb -n "__fish_plumb_using_subcommand state; and __fish_seen_subcommand_from report" -s V -l version -d 'Print version'
complete -c plumb -n "__fish_plumb_using_subcommand state; and __fish_seen_subcommand_from consumers" -l full-sync-horizon -d 'As for `state export`' -r
complete -c plumb -n "__fish_plumb_using_subcommand state; and __fish_seen_subcommand_from consumers" -l color -d 'When to use colors (auto: only on a terminal, and never when NO_COLOR is set)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c plumb -n "__fish_plumb_using_subcommand state; and __fish_seen_subcommand_from consumers" -l format -d 'Output format [default: table on a terminal, json otherwise]' -r -f -a "table\t''
json\t''
ndjson\t''
junit\t''
sarif\t''
markdown\t''
html\t'A self-contained page (see [`html`]); not for a terminal'"
complete -c plumb -n "__fish_plumb_using_subcommand state; and __fish_seen_subcommand_from consumers" -l state -d 'State file, or a postgres:// URL [default: <state dir>/plumb/state.db]' -r -F
complete -c plumb -n "__fish_plumb_using_subcommand state; and __fish_seen_subcommand_from consumers" -l config -d 'Config file [default: <config dir>/plumb/config.yaml]' -r -F
complete -c plumb -n "__fish_plumb_using_subcommand state; and __fish_seen_subcommand_from consumers" -s q -l quiet -d 'Only print errors on stderr'
complete -c plumb -n "__fish_plumb_using_subcommand state; and __fish_seen_subcommand_from consumers" -s v -l verbose -d 'More detail on stderr (-v: info, -vv: debug with the time since start, -vvv: trace)'
complete -c plumb -n "__fish_plumb_using_subcommand state; and __fish_seen_subcommand_from consumers" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c plumb -n "__fish_plumb_using_subcommand state; and __fish_seen_subcommand_from consumers" -s V -l version -d 'Print version'
complete -c plumb -n "__fish_plumb_using_subcommand state; and __fish_seen_subcommand_from help" -f -a "path" -d 'Print the state file\'s path'
complete -c plumb -n "__fish_plumb_using_subcommand state; and __fish_seen_subcommand_from help" -f -a "show" -d 'Schema version, size, row counts and each host\'s last scan'
complete -c plumb -n "__fish_plumb_using_subcommand state; and __fish_seen_subcommand_from help" -f -a "hosts" -d 'Every host with its score, compliance tier and failing rules by severity'
complete -c plumb -n "__fish_plumb_using_subcommand state; and __fish_seen_subcommand_from help" -f -a "scans" -d 'Recorded scans, newest first'
complete -c plumb -n "__fish_plumb_using_subcommand state; and __fish_seen_subcommand_from help" -f -a "history" -d 'A host\'s change log, newest first'
complete -c plumb -n "__fish_plumb_using_subcommand state; and __fish_seen_subcommand_from help" -f -a "check" -d 'Integrity check, foreign keys and the change log\'s hash chain (exit 1 if unsound)'
complete -c plumb -n "__fish_plumb_using_subcommand state; and __fish_seen_subcommand_from help" -f -a "migrate" -d 'Apply pending schema migrations, including ones not applied automatically'
complete -c plumb -n "__fish_plumb_using_subcommand state; and __fish_seen_subcommand_from help" -f -a "prune" -d 'Drop scans and change-log rows older than DURATION (current state, each host\'s last scan and the scan with the highest policy version are kept)'
complete -c plumb -n "__fish_plumb_using_subcommand state; and __fish_seen_subcommand_from help" -f -a "vacuum" -d 'Rebuild the file to reclaim space (a state file only)'
complete -c plumb -n "__fish_plumb_using_subcommand state; and __fish_seen_subcommand_from help" -f -a "copy" -d 'Copy a whole state into an empty one: a file into PostgreSQL, or a database back to a file (either side a path or a postgres:// URL; --state is not used)'
complete -c plumb -n "__fish_plumb_using_subcommand state; and __fish_seen_subcommand_from help" -f -a "export" -d 'Write what a consumer has not acknowledged: changed results in full, unchanged hosts as references, removals (JSON, or NDJSON with --format ndjson). Moves no cursor'
complete -c plumb -n "__fish_plumb_using_subcommand state; and __fish_seen_subcommand_from help" -f -a "ack" -d 'Acknowledge an exported batch after uploading it: the consumer\'s cursor moves to it'
complete -c plumb -n "__fish_plumb_using_subcommand state; and __fish_seen_subcommand_from help" -f -a "report" -d 'The fleet\'s HTML report (--format html, the default): hosts by score, findings, rule texts and trends, in one self-contained page'
complete -c plumb -n "__fish_plumb_using_subcommand state; and __fish_seen_subcommand_from help" -f -a "consumers" -d 'Each export consumer\'s cursor, last acknowledgement and whether a full sync is due'
complete -c plumb -n "__fish_plumb_using_subcommand state; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c plumb -n "__fish_plumb_using_subcommand schedule; and not __fish_seen_subcommand_from run-once status maintenance cron help" -l color -d 'When to use colors (auto: only on a terminal, and never when NO_COLOR is set)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c plumb -n "__fish_plumb_using_subcommand schedule; and not __fish_seen_subcommand_from run-once status maintenance cron help" -l format -d 'Output format [default: table on a terminal, json otherwise]' -r -f -a "table\t''
json\t''
ndjson\t''
junit\t''
sarif\t''
markdown\t''
html\t'A self-contained page (see [`html`]); not for a terminal'"
complete -c plumb -n "__fish_plumb_using_subcommand schedule; and not __fish_seen_subcommand_from run-once status maintenance cron help" -l state -d 'State file, or a postgres:// URL [default: <state dir>/plumb/state.db]' -r -F
complete -c plumb -n "__fish_plumb_using_subcommand schedule; and not __fish_seen_subcommand_from run-once status maintenance cron help" -l config -d 'Config file [default: <config dir>/plumb/config.yaml]' -r -F
complete -c plumb -n "__fish_plumb_using_subcommand schedule; and not __fish_seen_subcommand_from run-once status maintenance cron help" -s q -l quiet -d 'Only print errors on stderr'
complete -c plumb -n "__fish_plumb_using_subcommand schedule; and not __fish_seen_subcommand_from run-once status maintenance cron help" -s v -l verbose -d 'More detail on stderr (-v: info, -vv: debug with the time since start, -vvv: trace)'
complete -c plumb -n "__fish_plumb_using_subcommand schedule; and not __fish_seen_subcommand_from run-once status maintenance cron help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c plumb -n "__fish_plumb_using_subcommand schedule; and not __fish_seen_subcommand_from run-once status maintenance cron help" -s V -l version -d 'Print version'
complete -c plumb -n "__fish_plumb_using_subcommand schedule; and not __fish_seen_subcommand_from run-once status maintenance cron help" -f -a "run-once" -d 'Claim the hosts that are due, scan them, reschedule them, and exit (for cron or a systemd timer; overlapping runs never scan a host twice)'
complete -c plumb -n "__fish_plumb_using_subcommand schedule; and not __fish_seen_subcommand_from run-once status maintenance cron help" -f -a "status" -d 'Per host: tier, score, interval, next scan, how overdue, maintenance and backoff'
complete -c plumb -n "__fish_plumb_using_subcommand schedule; and not __fish_seen_subcommand_from run-once status maintenance cron help" -f -a "maintenance" -d 'Keep a host out of scheduled scans until a time, for a while, or no longer'
complete -c plumb -n "__fish_plumb_using_subcommand schedule; and not __fish_seen_subcommand_from run-once status maintenance cron help" -f -a "cron" -d 'Print a crontab line and a systemd service and timer that run `run-once` with these options'
complete -c plumb -n "__fish_plumb_using_subcommand schedule; and not __fish_seen_subcommand_from run-once status maintenance cron help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c plumb -n "__fish_plumb_using_subcommand schedule; and __fish_seen_subcommand_from run-once" -s i -l inventory -d 'Hosts from an inventory: plumb\'s YAML format or an Ansible YAML inventory' -r -F
complete -c plumb -n "__fish_plumb_using_subcommand schedule; and __fish_seen_subcommand_from run-once" -l limit -d 'Only inventory hosts matching an Ansible host pattern: a:b union, a:&b intersection, a:!b exclusion; globs, ~regex; names, groups, labels (repeatable: every one must match)' -r
complete -c plumb -n "__fish_plumb_using_subcommand schedule; and __fish_seen_subcommand_from run-once" -l rules -d 'Rule files or directories (replaces the embedded default pack; repeatable)' -r -F
complete -c plumb -n "__fish_plumb_using_subcommand schedule; and __fish_seen_subcommand_from run-once" -l var -d 'Set a rule variable (repeatable)' -r
complete -c plumb -n "__fish_plumb_using_subcommand schedule; and __fish_seen_subcommand_from run-once" -l vars-file -d 'Rule variables from a YAML file: a mapping of names to values, or Kensa\'s defaults file (`variables:`). Repeatable, later files win; --var, inventory and policy vars win over it' -r -F
complete -c plumb -n "__fish_plumb_using_subcommand schedule; and __fish_seen_subcommand_from run-once" -l rules-dialect -d 'The format rule files are written in: auto reads a file with a Kensa-only key (category, transactional, depends_on, ...) as Kensa\'s and any other as plumb\'s' -r -f -a "auto\t'Each file in its own dialect: Kensa when it has a Kensa-only key, else plumb'
plumb\t'Every file as a plumb rule file'
kensa\t'Every file as a Kensa rule file'"
complete -c plumb -n "__fish_plumb_using_subcommand schedule; and __fish_seen_subcommand_from run-once" -l profile -d 'Only rules in this profile, such as cis_l1_server (repeatable: rules in any of them)' -r
complete -c plumb -n "__fish_plumb_using_subcommand schedule; and __fish_seen_subcommand_from run-once" -l policy -d 'The signed scan policy (rule sets, vars, ssh, evidence, schedule and export settings) [default: the config file\'s policy]' -r -F
complete -c plumb -n "__fish_plumb_using_subcommand schedule; and __fish_seen_subcommand_from run-once" -l allowed-signers -d 'OpenSSH allowed_signers file with the keys trusted to sign policies' -r -F
complete -c plumb -n "__fish_plumb_using_subcommand schedule; and __fish_seen_subcommand_from run-once" -l key -d 'A single trusted public key (.pub); wins over allowed_signers' -r -F
complete -c plumb -n "__fish_plumb_using_subcommand schedule; and __fish_seen_subcommand_from run-once" -l signature -d 'The detached signature [default: POLICY.sig]' -r -F
complete -c plumb -n "__fish_plumb_using_subcommand schedule; and __fish_seen_subcommand_from run-once" -l revocation-list -d 'Fingerprints of revoked keys, one a line [default: the policy\'s revocation_list]' -r -F
complete -c plumb -n "__fish_plumb_using_subcommand schedule; and __fish_seen_subcommand_from run-once" -l user -d 'Log in as this user (a user in HOST or the inventory wins)' -r
complete -c plumb -n "__fish_plumb_using_subcommand schedule; and __fish_seen_subcommand_from run-once" -l port -d 'SSH port (a port in HOST or the inventory wins)' -r
complete -c plumb -n "__fish_plumb_using_subcommand schedule; and __fish_seen_subcommand_from run-once" -l identity -d 'Private key to authenticate with' -r -F
complete -c plumb -n "__fish_plumb_using_subcommand schedule; and __fish_seen_subcommand_from run-once" -s o -l ssh-option -d 'An ssh option, as for `ssh -o` (repeatable)' -r
complete -c plumb -n "__fish_plumb_using_subcommand schedule; and __fish_seen_subcommand_from run-once" -l ssh-config -d 'Use this ssh_config instead of ~/.ssh/config and /etc/ssh/ssh_config' -r -F
complete -c plumb -n "__fish_plumb_using_subcommand schedule; and __fish_seen_subcommand_from run-once" -l host-key-policy -d 'strict: the host key must be known; accept-new: trust a first-seen key. A changed key is always refused [default: the policy\'s, else strict]' -r -f -a "strict\t'The key must already be in a known_hosts file (`StrictHostKeyChecking yes`)'
accept-new\t'Trust on first use: an unknown key is recorded (`StrictHostKeyChecking accept-new`)'"
complete -c plumb -n "__fish_plumb_using_subcommand schedule; and __fish_seen_subcommand_from run-once" -l known-hosts -d 'known_hosts file to check host keys against' -r -F
complete -c plumb -n "__fish_plumb_using_subcommand schedule; and __fish_seen_subcommand_from run-once" -l connect-timeout -d 'Seconds to wait for a connection [default: the policy\'s, else 10]' -r
complete -c plumb -n "__fish_plumb_using_subcommand schedule; and __fish_seen_subcommand_from run-once" -l probe-timeout -d 'Seconds the whole probe may take on one host [default: the policy\'s, else 300]' -r
complete -c plumb -n "__fish_plumb_using_subcommand schedule; and __fish_seen_subcommand_from run-once" -l concurrency -d 'Hosts scanned at once [default: the policy\'s, else 16]' -r
complete -c plumb -n "__fish_plumb_using_subcommand schedule; and __fish_seen_subcommand_from run-once" -l max-output -d 'Most bytes one host may send back before it is cut off' -r
complete -c plumb -n "__fish_plumb_using_subcommand schedule; and __fish_seen_subcommand_from run-once" -l max-hosts -d 'Most hosts this pass claims [default: the policy\'s max_hosts_per_run, else no cap]' -r
complete -c plumb -n "__fish_plumb_using_subcommand schedule; and __fish_seen_subcommand_from run-once" -l lease -d 'How long a claim holds a host before another run may take it over, such as 30m [default: the probe timeout for each round of --concurrency hosts, plus one]' -r
complete -c plumb -n "__fish_plumb_using_subcommand schedule; and __fish_seen_subcommand_from run-once" -l fail-on -d 'Lowest severity of a failure that makes the exit code 1' -r -f -a "low\t''
medium\t''
high\t''
critical\t''
never\t''"
complete -c plumb -n "__fish_plumb_using_subcommand schedule; and __fish_seen_subcommand_from run-once" -l waivers -d 'Accept the failures these waivers name (repeatable), as `scan --waivers`' -r -F
complete -c plumb -n "__fish_plumb_using_subcommand schedule; and __fish_seen_subcommand_from run-once" -l color -d 'When to use colors (auto: only on a terminal, and never when NO_COLOR is set)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c plumb -n "__fish_plumb_using_subcommand schedule; and __fish_seen_subcommand_from run-once" -l format -d 'Output format [default: table on a terminal, json otherwise]' -r -f -a "table\t''
json\t''
ndjson\t''
junit\t''
sarif\t''
markdown\t''
html\t'A self-contained page (see [`html`]); not for a terminal'"
complete -c plumb -n "__fish_plumb_using_subcommand schedule; and __fish_seen_subcommand_from run-once" -l state -d 'State file, or a postgres:// URL [default: <state dir>/plumb/state.db]' -r -F
complete -c plumb -n "__fish_plumb_using_subcommand schedule; and __fish_seen_subcommand_from run-once" -l config -d 'Config file [default: <config dir>/plumb/config.yaml]' -r -F
complete -c plumb -n "__fish_plumb_using_subcommand schedule; and __fish_seen_subcommand_from run-once" -l allow-unsigned-policy -d 'Use a policy whose signature does not verify (development only; warns). For `schedule run-once`, also run without any policy'
complete -c plumb -n "__fish_plumb_using_subcommand schedule; and __fish_seen_subcommand_from run-once" -l sudo -d 'Run the probe through `sudo -n` on the host'
complete -c plumb -n "__fish_plumb_using_subcommand schedule; and __fish_seen_subcommand_from run-once" -l allow-errors -d 'Exit 0/1 even when rules could not be assessed'
complete -c plumb -n "__fish_plumb_using_subcommand schedule; and __fish_seen_subcommand_from run-once" -s q -l quiet -d 'Only print errors on stderr'
complete -c plumb -n "__fish_plumb_using_subcommand schedule; and __fish_seen_subcommand_from run-once" -s v -l verbose -d 'More detail on stderr (-v: info, -vv: debug with the time since start, -vvv: trace)'
complete -c plumb -n "__fish_plumb_using_subcommand schedule; and __fish_seen_subcommand_from run-once" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c plumb -n "__fish_plumb_using_subcommand schedule; and __fish_seen_subcommand_from run-once" -s V -l version -d 'Print version'
complete -c plumb -n "__fish_plumb_using_subcommand schedule; and __fish_seen_subcommand_from status" -l color -d 'When to use colors (auto: only on a terminal, and never when NO_COLOR is set)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c plumb -n "__fish_plumb_using_subcommand schedule; and __fish_seen_subcommand_from status" -l format -d 'Output format [default: table on a terminal, json otherwise]' -r -f -a "table\t''
json\t''
ndjson\t''
junit\t''
sarif\t''
markdown\t''
html\t'A self-contained page (see [`html`]); not for a terminal'"
complete -c plumb -n "__fish_plumb_using_subcommand schedule; and __fish_seen_subcommand_from status" -l state -d 'State file, or a postgres:// URL [default: <state dir>/plumb/state.db]' -r -F
complete -c plumb -n "__fish_plumb_using_subcommand schedule; and __fish_seen_subcommand_from status" -l config -d 'Config file [default: <config dir>/plumb/config.yaml]' -r -F
complete -c plumb -n "__fish_plumb_using_subcommand schedule; and __fish_seen_subcommand_from status" -s q -l quiet -d 'Only print errors on stderr'
complete -c plumb -n "__fish_plumb_using_subcommand schedule; and __fish_seen_subcommand_from status" -s v -l verbose -d 'More detail on stderr (-v: info, -vv: debug with the time since start, -vvv: trace)'
complete -c plumb -n "__fish_plumb_using_subcommand schedule; and __fish_seen_subcommand_from status" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c plumb -n "__fish_plumb_using_subcommand schedule; and __fish_seen_subcommand_from status" -s V -l version -d 'Print version'
complete -c plumb -n "__fish_plumb_using_subcommand schedule; and __fish_seen_subcommand_from maintenance" -l until -d 'End of the window: RFC 3339 (2026-12-01T06:00:00Z) or a date (midnight UTC)' -r
complete -c plumb -n "__fish_plumb_using_subcommand schedule; and __fish_seen_subcommand_from maintenance" -l for -d 'Length of the window from now, such as 2h or 1d' -r
complete -c plumb -n "__fish_plumb_using_subcommand schedule; and __fish_seen_subcommand_from maintenance" -l color -d 'When to use colors (auto: only on a terminal, and never when NO_COLOR is set)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c plumb -n "__fish_plumb_using_subcommand schedule; and __fish_seen_subcommand_from maintenance" -l format -d 'Output format [default: table on a terminal, json otherwise]' -r -f -a "table\t''
json\t''
ndjson\t''
junit\t''
sarif\t''
markdown\t''
html\t'A self-contained page (see [`html`]); not for a terminal'"
complete -c plumb -n "__fish_plumb_using_subcommand schedule; and __fish_seen_subcommand_from maintenance" -l state -d 'State file, or a postgres:// URL [default: <state dir>/plumb/state.db]' -r -F
complete -c plumb -n "__fish_plumb_using_subcommand schedule; and __fish_seen_subcommand_from maintenance" -l config -d 'Config file [default: <config dir>/plumb/config.yaml]' -r -F
complete -c plumb -n "__fish_plumb_using_subcommand schedule; and __fish_seen_subcommand_from maintenance" -l clear -d 'End the host\'s maintenance now'
complete -c plumb -n "__fish_plumb_using_subcommand schedule; and __fish_seen_subcommand_from maintenance" -s q -l quiet -d 'Only print errors on stderr'
complete -c plumb -n "__fish_plumb_using_subcommand schedule; and __fish_seen_subcommand_from maintenance" -s v -l verbose -d 'More detail on stderr (-v: info, -vv: debug with the time since start, -vvv: trace)'
complete -c plumb -n "__fish_plumb_using_subcommand schedule; and __fish_seen_subcommand_from maintenance" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c plumb -n "__fish_plumb_using_subcommand schedule; and __fish_seen_subcommand_from maintenance" -s V -l version -d 'Print version'
complete -c plumb -n "__fish_plumb_using_subcommand schedule; and __fish_seen_subcommand_from cron" -s i -l inventory -d 'Hosts from an inventory: plumb\'s YAML format or an Ansible YAML inventory' -r -F
complete -c plumb -n "__fish_plumb_using_subcommand schedule; and __fish_seen_subcommand_from cron" -l limit -d 'Only inventory hosts matching an Ansible host pattern: a:b union, a:&b intersection, a:!b exclusion; globs, ~regex; names, groups, labels (repeatable: every one must match)' -r
complete -c plumb -n "__fish_plumb_using_subcommand schedule; and __fish_seen_subcommand_from cron" -l rules -d 'Rule files or directories (replaces the embedded default pack; repeatable)' -r -F
complete -c plumb -n "__fish_plumb_using_subcommand schedule; and __fish_seen_subcommand_from cron" -l var -d 'Set a rule variable (repeatable)' -r
complete -c plumb -n "__fish_plumb_using_subcommand schedule; and __fish_seen_subcommand_from cron" -l vars-file -d 'Rule variables from a YAML file: a mapping of names to values, or Kensa\'s defaults file (`variables:`). Repeatable, later files win; --var, inventory and policy vars win over it' -r -F
complete -c plumb -n "__fish_plumb_using_subcommand schedule; and __fish_seen_subcommand_from cron" -l rules-dialect -d 'The format rule files are written in: auto reads a file with a Kensa-only key (category, transactional, depends_on, ...) as Kensa\'s and any other as plumb\'s' -r -f -a "auto\t'Each file in its own dialect: Kensa when it has a Kensa-only key, else plumb'
plumb\t'Every file as a plumb rule file'
kensa\t'Every file as a Kensa rule file'"
complete -c plumb -n "__fish_plumb_using_subcommand schedule; and __fish_seen_subcommand_from cron" -l profile -d 'Only rules in this profile, such as cis_l1_server (repeatable: rules in any of them)' -r
complete -c plumb -n "__fish_plumb_using_subcommand schedule; and __fish_seen_subcommand_from cron" -l policy -d 'The signed scan policy (rule sets, vars, ssh, evidence, schedule and export settings) [default: the config file\'s policy]' -r -F
complete -c plumb -n "__fish_plumb_using_subcommand schedule; and __fish_seen_subcommand_from cron" -l allowed-signers -d 'OpenSSH allowed_signers file with the keys trusted to sign policies' -r -F
complete -c plumb -n "__fish_plumb_using_subcommand schedule; and __fish_seen_subcommand_from cron" -l key -d 'A single trusted public key (.pub); wins over allowed_signers' -r -F
complete -c plumb -n "__fish_plumb_using_subcommand schedule; and __fish_seen_subcommand_from cron" -l signature -d 'The detached signature [default: POLICY.sig]' -r -F
complete -c plumb -n "__fish_plumb_using_subcommand schedule; and __fish_seen_subcommand_from cron" -l revocation-list -d 'Fingerprints of revoked keys, one a line [default: the policy\'s revocation_list]' -r -F
complete -c plumb -n "__fish_plumb_using_subcommand schedule; and __fish_seen_subcommand_from cron" -l user -d 'Log in as this user (a user in HOST or the inventory wins)' -r
complete -c plumb -n "__fish_plumb_using_subcommand schedule; and __fish_seen_subcommand_from cron" -l port -d 'SSH port (a port in HOST or the inventory wins)' -r
complete -c plumb -n "__fish_plumb_using_subcommand schedule; and __fish_seen_subcommand_from cron" -l identity -d 'Private key to authenticate with' -r -F
complete -c plumb -n "__fish_plumb_using_subcommand schedule; and __fish_seen_subcommand_from cron" -s o -l ssh-option -d 'An ssh option, as for `ssh -o` (repeatable)' -r
complete -c plumb -n "__fish_plumb_using_subcommand schedule; and __fish_seen_subcommand_from cron" -l ssh-config -d 'Use this ssh_config instead of ~/.ssh/config and /etc/ssh/ssh_config' -r -F
complete -c plumb -n "__fish_plumb_using_subcommand schedule; and __fish_seen_subcommand_from cron" -l host-key-policy -d 'strict: the host key must be known; accept-new: trust a first-seen key. A changed key is always refused [default: the policy\'s, else strict]' -r -f -a "strict\t'The key must already be in a known_hosts file (`StrictHostKeyChecking yes`)'
accept-new\t'Trust on first use: an unknown key is recorded (`StrictHostKeyChecking accept-new`)'"
complete -c plumb -n "__fish_plumb_using_subcommand schedule; and __fish_seen_subcommand_from cron" -l known-hosts -d 'known_hosts file to check host keys against' -r -F
complete -c plumb -n "__fish_plumb_using_subcommand schedule; and __fish_seen_subcommand_from cron" -l connect-timeout -d 'Seconds to wait for a connection [default: the policy\'s, else 10]' -r
complete -c plumb -n "__fish_plumb_using_subcommand schedule; and __fish_seen_subcommand_from cron" -l probe-timeout -d 'Seconds the whole probe may take on one host [default: the policy\'s, else 300]' -r
complete -c plumb -n "__fish_plumb_using_subcommand schedule; and __fish_seen_subcommand_from cron" -l concurrency -d 'Hosts scanned at once [default: the policy\'s, else 16]' -r
complete -c plumb -n "__fish_plumb_using_subcommand schedule; and __fish_seen_subcommand_from cron" -l max-output -d 'Most bytes one host may send back before it is cut off' -r
complete -c plumb -n "__fish_plumb_using_subcommand schedule; and __fish_seen_subcommand_from cron" -l max-hosts -d 'Most hosts this pass claims [default: the policy\'s max_hosts_per_run, else no cap]' -r
complete -c plumb -n "__fish_plumb_using_subcommand schedule; and __fish_seen_subcommand_from cron" -l lease -d 'How long a claim holds a host before another run may take it over, such as 30m [default: the probe timeout for each round of --concurrency hosts, plus one]' -r
complete -c plumb -n "__fish_plumb_using_subcommand schedule; and __fish_seen_subcommand_from cron" -l fail-on -d 'Lowest severity of a failure that makes the exit code 1' -r -f -a "low\t''
medium\t''
high\t''
critical\t''
never\t''"
complete -c plumb -n "__fish_plumb_using_subcommand schedule; and __fish_seen_subcommand_from cron" -l waivers -d 'Accept the failures these waivers name (repeatable), as `scan --waivers`' -r -F
complete -c plumb -n "__fish_plumb_using_subcommand schedule; and __fish_seen_subcommand_from cron" -l color -d 'When to use colors (auto: only on a terminal, and never when NO_COLOR is set)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c plumb -n "__fish_plumb_using_subcommand schedule; and __fish_seen_subcommand_from cron" -l format -d 'Output format [default: table on a terminal, json otherwise]' -r -f -a "table\t''
json\t''
ndjson\t''
junit\t''
sarif\t''
markdown\t''
html\t'A self-contained page (see [`html`]); not for a terminal'"
complete -c plumb -n "__fish_plumb_using_subcommand schedule; and __fish_seen_subcommand_from cron" -l state -d 'State file, or a postgres:// URL [default: <state dir>/plumb/state.db]' -r -F
complete -c plumb -n "__fish_plumb_using_subcommand schedule; and __fish_seen_subcommand_from cron" -l config -d 'Config file [default: <config dir>/plumb/config.yaml]' -r -F
complete -c plumb -n "__fish_plumb_using_subcommand schedule; and __fish_seen_subcommand_from cron" -l allow-unsigned-policy -d 'Use a policy whose signature does not verify (development only; warns). For `schedule run-once`, also run without any policy'
complete -c plumb -n "__fish_plumb_using_subcommand schedule; and __fish_seen_subcommand_from cron" -l sudo -d 'Run the probe through `sudo -n` on the host'
complete -c plumb -n "__fish_plumb_using_subcommand schedule; and __fish_seen_subcommand_from cron" -l allow-errors -d 'Exit 0/1 even when rules could not be assessed'
complete -c plumb -n "__fish_plumb_using_subcommand schedule; and __fish_seen_subcommand_from cron" -s q -l quiet -d 'Only print errors on stderr'
complete -c plumb -n "__fish_plumb_using_subcommand schedule; and __fish_seen_subcommand_from cron" -s v -l verbose -d 'More detail on stderr (-v: info, -vv: debug with the time since start, -vvv: trace)'
complete -c plumb -n "__fish_plumb_using_subcommand schedule; and __fish_seen_subcommand_from cron" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c plumb -n "__fish_plumb_using_subcommand schedule; and __fish_seen_subcommand_from cron" -s V -l version -d 'Print version'
complete -c plumb -n "__fish_plumb_using_subcommand schedule; and __fish_seen_subcommand_from help" -f -a "run-once" -d 'Claim the hosts that are due, scan them, reschedule them, and exit (for cron or a systemd timer; overlapping runs never scan a host twice)'
complete -c plumb -n "__fish_plumb_using_subcommand schedule; and __fish_seen_subcommand_from help" -f -a "status" -d 'Per host: tier, score, interval, next scan, how overdue, maintenance and backoff'
complete -c plumb -n "__fish_plumb_using_subcommand schedule; and __fish_seen_subcommand_from help" -f -a "maintenance" -d 'Keep a host out of scheduled scans until a time, for a while, or no longer'
complete -c plumb -n "__fish_plumb_using_subcommand schedule; and __fish_seen_subcommand_from help" -f -a "cron" -d 'Print a crontab line and a systemd service and timer that run `run-once` with these options'
complete -c plumb -n "__fish_plumb_using_subcommand schedule; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c plumb -n "__fish_plumb_using_subcommand drift" -l since -d 'Net change of each rule from TIME until now, with its flaps [fleet default: 1d]' -r
complete -c plumb -n "__fish_plumb_using_subcommand drift" -l at -d 'The host\'s state at TIME, rebuilt from the change log (with --against: both hosts then)' -r
complete -c plumb -n "__fish_plumb_using_subcommand drift" -l scan -d 'A scan by id or unique prefix; give it twice to compare scan against scan' -r
complete -c plumb -n "__fish_plumb_using_subcommand drift" -l against -d 'Compare HOST against HOST2 (now, or --at TIME): every rule whose status or evidence differs' -r
complete -c plumb -n "__fish_plumb_using_subcommand drift" -l fail-on-regression -d 'Exit 1 when a regression at or above SEVERITY is present [no value: low]' -r -f -a "low\t''
medium\t''
high\t''
critical\t''"
complete -c plumb -n "__fish_plumb_using_subcommand drift" -l color -d 'When to use colors (auto: only on a terminal, and never when NO_COLOR is set)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c plumb -n "__fish_plumb_using_subcommand drift" -l format -d 'Output format [default: table on a terminal, json otherwise]' -r -f -a "table\t''
json\t''
ndjson\t''
junit\t''
sarif\t''
markdown\t''
html\t'A self-contained page (see [`html`]); not for a terminal'"
complete -c plumb -n "__fish_plumb_using_subcommand drift" -l state -d 'State file, or a postgres:// URL [default: <state dir>/plumb/state.db]' -r -F
complete -c plumb -n "__fish_plumb_using_subcommand drift" -l config -d 'Config file [default: <config dir>/plumb/config.yaml]' -r -F
complete -c plumb -n "__fish_plumb_using_subcommand drift" -l all -d 'Regressions across every host, grouped by rule'
complete -c plumb -n "__fish_plumb_using_subcommand drift" -s q -l quiet -d 'Only print errors on stderr'
complete -c plumb -n "__fish_plumb_using_subcommand drift" -s v -l verbose -d 'More detail on stderr (-v: info, -vv: debug with the time since start, -vvv: trace)'
complete -c plumb -n "__fish_plumb_using_subcommand drift" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c plumb -n "__fish_plumb_using_subcommand drift" -s V -l version -d 'Print version'
complete -c plumb -n "__fish_plumb_using_subcommand rules; and not __fish_seen_subcommand_from list show check help" -l color -d 'When to use colors (auto: only on a terminal, and never when NO_COLOR is set)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c plumb -n "__fish_plumb_using_subcommand rules; and not __fish_seen_subcommand_from list show check help" -l format -d 'Output format [default: table on a terminal, json otherwise]' -r -f -a "table\t''
json\t''
ndjson\t''
junit\t''
sarif\t''
markdown\t''
html\t'A self-contained page (see [`html`]); not for a terminal'"
complete -c plumb -n "__fish_plumb_using_subcommand rules; and not __fish_seen_subcommand_from list show check help" -l state -d 'State file, or a postgres:// URL [default: <state dir>/plumb/state.db]' -r -F
complete -c plumb -n "__fish_plumb_using_subcommand rules; and not __fish_seen_subcommand_from list show check help" -l config -d 'Config file [default: <config dir>/plumb/config.yaml]' -r -F
complete -c plumb -n "__fish_plumb_using_subcommand rules; and not __fish_seen_subcommand_from list show check help" -s q -l quiet -d 'Only print errors on stderr'
complete -c plumb -n "__fish_plumb_using_subcommand rules; and not __fish_seen_subcommand_from list show check help" -s v -l verbose -d 'More detail on stderr (-v: info, -vv: debug with the time since start, -vvv: trace)'
complete -c plumb -n "__fish_plumb_using_subcommand rules; and not __fish_seen_subcommand_from list show check help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c plumb -n "__fish_plumb_using_subcommand rules; and not __fish_seen_subcommand_from list show check help" -s V -l version -d 'Print version'
complete -c plumb -n "__fish_plumb_using_subcommand rules; and not __fish_seen_subcommand_from list show check help" -f -a "list" -d 'The loaded rules: id, severity, profiles, tags and title (json: also references, platforms, methods and where each is defined)'
complete -c plumb -n "__fish_plumb_using_subcommand rules; and not __fish_seen_subcommand_from list show check help" -f -a "show" -d 'One rule in full: texts, severity, tags, profiles, references, notes, platforms, vars, its checks as written, remediation and where it is defined'
complete -c plumb -n "__fish_plumb_using_subcommand rules; and not __fish_seen_subcommand_from list show check help" -f -a "check" -d 'Validate rule files without scanning, and lint them for missing remediation or references'
complete -c plumb -n "__fish_plumb_using_subcommand rules; and not __fish_seen_subcommand_from list show check help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c plumb -n "__fish_plumb_using_subcommand rules; and __fish_seen_subcommand_from list" -l rules -d 'Rule files or directories (replaces the embedded default pack; repeatable)' -r -F
complete -c plumb -n "__fish_plumb_using_subcommand rules; and __fish_seen_subcommand_from list" -l var -d 'Set a rule variable (repeatable)' -r
complete -c plumb -n "__fish_plumb_using_subcommand rules; and __fish_seen_subcommand_from list" -l vars-file -d 'Rule variables from a YAML file: a mapping of names to values, or Kensa\'s defaults file (`variables:`). Repeatable, later files win; --var, inventory and policy vars win over it' -r -F
complete -c plumb -n "__fish_plumb_using_subcommand rules; and __fish_seen_subcommand_from list" -l rules-dialect -d 'The format rule files are written in: auto reads a file with a Kensa-only key (category, transactional, depends_on, ...) as Kensa\'s and any other as plumb\'s' -r -f -a "auto\t'Each file in its own dialect: Kensa when it has a Kensa-only key, else plumb'
plumb\t'Every file as a plumb rule file'
kensa\t'Every file as a Kensa rule file'"
complete -c plumb -n "__fish_plumb_using_subcommand rules; and __fish_seen_subcommand_from list" -l profile -d 'Only rules in this profile, such as cis_l1_server (repeatable: rules in any of them)' -r
complete -c plumb -n "__fish_plumb_using_subcommand rules; and __fish_seen_subcommand_from list" -l tag -d 'Only rules with one of these tags (repeatable)' -r
complete -c plumb -n "__fish_plumb_using_subcommand rules; and __fish_seen_subcommand_from list" -l color -d 'When to use colors (auto: only on a terminal, and never when NO_COLOR is set)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c plumb -n "__fish_plumb_using_subcommand rules; and __fish_seen_subcommand_from list" -l format -d 'Output format [default: table on a terminal, json otherwise]' -r -f -a "table\t''
json\t''
ndjson\t''
junit\t''
sarif\t''
markdown\t''
html\t'A self-contained page (see [`html`]); not for a terminal'"
complete -c plumb -n "__fish_plumb_using_subcommand rules; and __fish_seen_subcommand_from list" -l state -d 'State file, or a postgres:// URL [default: <state dir>/plumb/state.db]' -r -F
complete -c plumb -n "__fish_plumb_using_subcommand rules; and __fish_seen_subcommand_from list" -l config -d 'Config file [default: <config dir>/plumb/config.yaml]' -r -F
complete -c plumb -n "__fish_plumb_using_subcommand rules; and __fish_seen_subcommand_from list" -s q -l quiet -d 'Only print errors on stderr'
complete -c plumb -n "__fish_plumb_using_subcommand rules; and __fish_seen_subcommand_from list" -s v -l verbose -d 'More detail on stderr (-v: info, -vv: debug with the time since start, -vvv: trace)'
complete -c plumb -n "__fish_plumb_using_subcommand rules; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c plumb -n "__fish_plumb_using_subcommand rules; and __fish_seen_subcommand_from list" -s V -l version -d 'Print version'
complete -c plumb -n "__fish_plumb_using_subcommand rules; and __fish_seen_subcommand_from show" -l rules -d 'Rule files or directories (replaces the embedded default pack; repeatable)' -r -F
complete -c plumb -n "__fish_plumb_using_subcommand rules; and __fish_seen_subcommand_from show" -l var -d 'Set a rule variable (repeatable)' -r
complete -c plumb -n "__fish_plumb_using_subcommand rules; and __fish_seen_subcommand_from show" -l vars-file -d 'Rule variables from a YAML file: a mapping of names to values, or Kensa\'s defaults file (`variables:`). Repeatable, later files win; --var, inventory and policy vars win over it' -r -F
complete -c plumb -n "__fish_plumb_using_subcommand rules; and __fish_seen_subcommand_from show" -l rules-dialect -d 'The format rule files are written in: auto reads a file with a Kensa-only key (category, transactional, depends_on, ...) as Kensa\'s and any other as plumb\'s' -r -f -a "auto\t'Each file in its own dialect: Kensa when it has a Kensa-only key, else plumb'
plumb\t'Every file as a plumb rule file'
kensa\t'Every file as a Kensa rule file'"
complete -c plumb -n "__fish_plumb_using_subcommand rules; and __fish_seen_subcommand_from show" -l color -d 'When to use colors (auto: only on a terminal, and never when NO_COLOR is set)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c plumb -n "__fish_plumb_using_subcommand rules; and __fish_seen_subcommand_from show" -l format -d 'Output format [default: table on a terminal, json otherwise]' -r -f -a "table\t''
json\t''
ndjson\t''
junit\t''
sarif\t''
markdown\t''
html\t'A self-contained page (see [`html`]); not for a terminal'"
complete -c plumb -n "__fish_plumb_using_subcommand rules; and __fish_seen_subcommand_from show" -l state -d 'State file, or a postgres:// URL [default: <state dir>/plumb/state.db]' -r -F
complete -c plumb -n "__fish_plumb_using_subcommand rules; and __fish_seen_subcommand_from show" -l config -d 'Config file [default: <config dir>/plumb/config.yaml]' -r -F
complete -c plumb -n "__fish_plumb_using_subcommand rules; and __fish_seen_subcommand_from show" -s q -l quiet -d 'Only print errors on stderr'
complete -c plumb -n "__fish_plumb_using_subcommand rules; and __fish_seen_subcommand_from show" -s v -l verbose -d 'More detail on stderr (-v: info, -vv: debug with the time since start, -vvv: trace)'
complete -c plumb -n "__fish_plumb_using_subcommand rules; and __fish_seen_subcommand_from show" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c plumb -n "__fish_plumb_using_subcommand rules; and __fish_seen_subcommand_from show" -s V -l version -d 'Print version'
complete -c plumb -n "__fish_plumb_using_subcommand rules; and __fish_seen_subcommand_from check" -l rules -d 'Rule files or directories (replaces the embedded default pack; repeatable)' -r -F
complete -c plumb -n "__fish_plumb_using_subcommand rules; and __fish_seen_subcommand_from check" -l var -d 'Set a rule variable (repeatable)' -r
complete -c plumb -n "__fish_plumb_using_subcommand rules; and __fish_seen_subcommand_from check" -l vars-file -d 'Rule variables from a YAML file: a mapping of names to values, or Kensa\'s defaults file (`variables:`). Repeatable, later files win; --var, inventory and policy vars win over it' -r -F
complete -c plumb -n "__fish_plumb_using_subcommand rules; and __fish_seen_subcommand_from check" -l rules-dialect -d 'The format rule files are written in: auto reads a file with a Kensa-only key (category, transactional, depends_on, ...) as Kensa\'s and any other as plumb\'s' -r -f -a "auto\t'Each file in its own dialect: Kensa when it has a Kensa-only key, else plumb'
plumb\t'Every file as a plumb rule file'
kensa\t'Every file as a Kensa rule file'"
complete -c plumb -n "__fish_plumb_using_subcommand rules; and __fish_seen_subcommand_from check" -l color -d 'When to use colors (auto: only on a terminal, and never when NO_COLOR is set)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c plumb -n "__fish_plumb_using_subcommand rules; and __fish_seen_subcommand_from check" -l format -d 'Output format [default: table on a terminal, json otherwise]' -r -f -a "table\t''
json\t''
ndjson\t''
junit\t''
sarif\t''
markdown\t''
html\t'A self-contained page (see [`html`]); not for a terminal'"
complete -c plumb -n "__fish_plumb_using_subcommand rules; and __fish_seen_subcommand_from check" -l state -d 'State file, or a postgres:// URL [default: <state dir>/plumb/state.db]' -r -F
complete -c plumb -n "__fish_plumb_using_subcommand rules; and __fish_seen_subcommand_from check" -l config -d 'Config file [default: <config dir>/plumb/config.yaml]' -r -F
complete -c plumb -n "__fish_plumb_using_subcommand rules; and __fish_seen_subcommand_from check" -l strict -d 'Exit 1 when a rule has a lint warning'
complete -c plumb -n "__fish_plumb_using_subcommand rules; and __fish_seen_subcommand_from check" -s q -l quiet -d 'Only print errors on stderr'
complete -c plumb -n "__fish_plumb_using_subcommand rules; and __fish_seen_subcommand_from check" -s v -l verbose -d 'More detail on stderr (-v: info, -vv: debug with the time since start, -vvv: trace)'
complete -c plumb -n "__fish_plumb_using_subcommand rules; and __fish_seen_subcommand_from check" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c plumb -n "__fish_plumb_using_subcommand rules; and __fish_seen_subcommand_from check" -s V -l version -d 'Print version'
complete -c plumb -n "__fish_plumb_using_subcommand rules; and __fish_seen_subcommand_from help" -f -a "list" -d 'The loaded rules: id, severity, profiles, tags and title (json: also references, platforms, methods and where each is defined)'
complete -c plumb -n "__fish_plumb_using_subcommand rules; and __fish_seen_subcommand_from help" -f -a "show" -d 'One rule in full: texts, severity, tags, profiles, references, notes, platforms, vars, its checks as written, remediation and where it is defined'
complete -c plumb -n "__fish_plumb_using_subcommand rules; and __fish_seen_subcommand_from help" -f -a "check" -d 'Validate rule files without scanning, and lint them for missing remediation or references'
complete -c plumb -n "__fish_plumb_using_subcommand rules; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c plumb -n "__fish_plumb_using_subcommand verify-policy" -l allowed-signers -d 'OpenSSH allowed_signers file with the keys trusted to sign policies' -r -F
complete -c plumb -n "__fish_plumb_using_subcommand verify-policy" -l key -d 'A single trusted public key (.pub); wins over allowed_signers' -r -F
complete -c plumb -n "__fish_plumb_using_subcommand verify-policy" -l signature -d 'The detached signature [default: POLICY.sig]' -r -F
complete -c plumb -n "__fish_plumb_using_subcommand verify-policy" -l revocation-list -d 'Fingerprints of revoked keys, one a line [default: the policy\'s revocation_list]' -r -F
complete -c plumb -n "__fish_plumb_using_subcommand verify-policy" -l color -d 'When to use colors (auto: only on a terminal, and never when NO_COLOR is set)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c plumb -n "__fish_plumb_using_subcommand verify-policy" -l format -d 'Output format [default: table on a terminal, json otherwise]' -r -f -a "table\t''
json\t''
ndjson\t''
junit\t''
sarif\t''
markdown\t''
html\t'A self-contained page (see [`html`]); not for a terminal'"
complete -c plumb -n "__fish_plumb_using_subcommand verify-policy" -l state -d 'State file, or a postgres:// URL [default: <state dir>/plumb/state.db]' -r -F
complete -c plumb -n "__fish_plumb_using_subcommand verify-policy" -l config -d 'Config file [default: <config dir>/plumb/config.yaml]' -r -F
complete -c plumb -n "__fish_plumb_using_subcommand verify-policy" -s q -l quiet -d 'Only print errors on stderr'
complete -c plumb -n "__fish_plumb_using_subcommand verify-policy" -s v -l verbose -d 'More detail on stderr (-v: info, -vv: debug with the time since start, -vvv: trace)'
complete -c plumb -n "__fish_plumb_using_subcommand verify-policy" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c plumb -n "__fish_plumb_using_subcommand verify-policy" -s V -l version -d 'Print version'
complete -c plumb -n "__fish_plumb_using_subcommand generate; and not __fish_seen_subcommand_from man completions help" -l color -d 'When to use colors (auto: only on a terminal, and never when NO_COLOR is set)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c plumb -n "__fish_plumb_using_subcommand generate; and not __fish_seen_subcommand_from man completions help" -l format -d 'Output format [default: table on a terminal, json otherwise]' -r -f -a "table\t''
json\t''
ndjson\t''
junit\t''
sarif\t''
markdown\t''
html\t'A self-contained page (see [`html`]); not for a terminal'"
complete -c plumb -n "__fish_plumb_using_subcommand generate; and not __fish_seen_subcommand_from man completions help" -l state -d 'State file, or a postgres:// URL [default: <state dir>/plumb/state.db]' -r -F
complete -c plumb -n "__fish_plumb_using_subcommand generate; and not __fish_seen_subcommand_from man completions help" -l config -d 'Config file [default: <config dir>/plumb/config.yaml]' -r -F
complete -c plumb -n "__fish_plumb_using_subcommand generate; and not __fish_seen_subcommand_from man completions help" -s q -l quiet -d 'Only print errors on stderr'
complete -c plumb -n "__fish_plumb_using_subcommand generate; and not __fish_seen_subcommand_from man completions help" -s v -l verbose -d 'More detail on stderr (-v: info, -vv: debug with the time since start, -vvv: trace)'
complete -c plumb -n "__fish_plumb_using_subcommand generate; and not __fish_seen_subcommand_from man completions help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c plumb -n "__fish_plumb_using_subcommand generate; and not __fish_seen_subcommand_from man completions help" -s V -l version -d 'Print version'
complete -c plumb -n "__fish_plumb_using_subcommand generate; and not __fish_seen_subcommand_from man completions help" -f -a "man" -d 'Write the man pages (plumb.1 and one per subcommand) into DIR, for example /usr/local/share/man/man1'
complete -c plumb -n "__fish_plumb_using_subcommand generate; and not __fish_seen_subcommand_from man completions help" -f -a "completions" -d 'Write the shell completions (bash, zsh, fish, elvish, powershell) into DIR'
complete -c plumb -n "__fish_plumb_using_subcommand generate; and not __fish_seen_subcommand_from man completions help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c plumb -n "__fish_plumb_using_subcommand generate; and __fish_seen_subcommand_from man" -l color -d 'When to use colors (auto: only on a terminal, and never when NO_COLOR is set)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c plumb -n "__fish_plumb_using_subcommand generate; and __fish_seen_subcommand_from man" -l format -d 'Output format [default: table on a terminal, json otherwise]' -r -f -a "table\t''
json\t''
ndjson\t''
junit\t''
sarif\t''
markdown\t''
html\t'A self-contained page (see [`html`]); not for a terminal'"
complete -c plumb -n "__fish_plumb_using_subcommand generate; and __fish_seen_subcommand_from man" -l state -d 'State file, or a postgres:// URL [default: <state dir>/plumb/state.db]' -r -F
complete -c plumb -n "__fish_plumb_using_subcommand generate; and __fish_seen_subcommand_from man" -l config -d 'Config file [default: <config dir>/plumb/config.yaml]' -r -F
complete -c plumb -n "__fish_plumb_using_subcommand generate; and __fish_seen_subcommand_from man" -s q -l quiet -d 'Only print errors on stderr'
complete -c plumb -n "__fish_plumb_using_subcommand generate; and __fish_seen_subcommand_from man" -s v -l verbose -d 'More detail on stderr (-v: info, -vv: debug with the time since start, -vvv: trace)'
complete -c plumb -n "__fish_plumb_using_subcommand generate; and __fish_seen_subcommand_from man" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c plumb -n "__fish_plumb_using_subcommand generate; and __fish_seen_subcommand_from man" -s V -l version -d 'Print version'
complete -c plumb -n "__fish_plumb_using_subcommand generate; and __fish_seen_subcommand_from completions" -l color -d 'When to use colors (auto: only on a terminal, and never when NO_COLOR is set)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c plumb -n "__fish_plumb_using_subcommand generate; and __fish_seen_subcommand_from completions" -l format -d 'Output format [default: table on a terminal, json otherwise]' -r -f -a "table\t''
json\t''
ndjson\t''
junit\t''
sarif\t''
markdown\t''
html\t'A self-contained page (see [`html`]); not for a terminal'"
complete -c plumb -n "__fish_plumb_using_subcommand generate; and __fish_seen_subcommand_from completions" -l state -d 'State file, or a postgres:// URL [default: <state dir>/plumb/state.db]' -r -F
complete -c plumb -n "__fish_plumb_using_subcommand generate; and __fish_seen_subcommand_from completions" -l config -d 'Config file [default: <config dir>/plumb/config.yaml]' -r -F
complete -c plumb -n "__fish_plumb_using_subcommand generate; and __fish_seen_subcommand_from completions" -s q -l quiet -d 'Only print errors on stderr'
complete -c plumb -n "__fish_plumb_using_subcommand generate; and __fish_seen_subcommand_from completions" -s v -l verbose -d 'More detail on stderr (-v: info, -vv: debug with the time since start, -vvv: trace)'
complete -c plumb -n "__fish_plumb_using_subcommand generate; and __fish_seen_subcommand_from completions" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c plumb -n "__fish_plumb_using_subcommand generate; and __fish_seen_subcommand_from completions" -s V -l version -d 'Print version'
complete -c plumb -n "__fish_plumb_using_subcommand generate; and __fish_seen_subcommand_from help" -f -a "man" -d 'Write the man pages (plumb.1 and one per subcommand) into DIR, for example /usr/local/share/man/man1'
complete -c plumb -n "__fish_plumb_using_subcommand generate; and __fish_seen_subcommand_from help" -f -a "completions" -d 'Write the shell completions (bash, zsh, fish, elvish, powershell) into DIR'
complete -c plumb -n "__fish_plumb_using_subcommand generate; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c plumb -n "__fish_plumb_using_subcommand help; and not __fish_seen_subcommand_from scan state schedule drift rules verify-policy generate help" -f -a "scan" -d 'Check hosts against rules and report (and store) the results'
complete -c plumb -n "__fish_plumb_using_subcommand help; and not __fish_seen_subcommand_from scan state schedule drift rules verify-policy generate help" -f -a "state" -d 'Inspect, verify, prune, migrate and copy the state (a file, or a PostgreSQL database)'
complete -c plumb -n "__fish_plumb_using_subcommand help; and not __fish_seen_subcommand_from scan state schedule drift rules verify-policy generate help" -f -a "schedule" -d 'Scheduled scans without a daemon: `run-once` for cron or a systemd timer, status, maintenance'
complete -c plumb -n "__fish_plumb_using_subcommand help; and not __fish_seen_subcommand_from scan state schedule drift rules verify-policy generate help" -f -a "drift" -d 'What changed: between scans, since a time, at a time, host against host, or across the fleet'
complete -c plumb -n "__fish_plumb_using_subcommand help; and not __fish_seen_subcommand_from scan state schedule drift rules verify-policy generate help" -f -a "rules" -d 'The rule pack without scanning: list, show one rule, validate and lint rule files'
complete -c plumb -n "__fish_plumb_using_subcommand help; and not __fish_seen_subcommand_from scan state schedule drift rules verify-policy generate help" -f -a "verify-policy" -d 'Check a scan policy\'s signature, signer, revocation, schema, clamps and pins'
complete -c plumb -n "__fish_plumb_using_subcommand help; and not __fish_seen_subcommand_from scan state schedule drift rules verify-policy generate help" -f -a "generate" -d 'Write the man pages or shell completions into a directory, to install them'
complete -c plumb -n "__fish_plumb_using_subcommand help; and not __fish_seen_subcommand_from scan state schedule drift rules verify-policy generate help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c plumb -n "__fish_plumb_using_subcommand help; and __fish_seen_subcommand_from state" -f -a "path" -d 'Print the state file\'s path'
complete -c plumb -n "__fish_plumb_using_subcommand help; and __fish_seen_subcommand_from state" -f -a "show" -d 'Schema version, size, row counts and each host\'s last scan'
complete -c plumb -n "__fish_plumb_using_subcommand help; and __fish_seen_subcommand_from state" -f -a "hosts" -d 'Every host with its score, compliance tier and failing rules by severity'
complete -c plumb -n "__fish_plumb_using_subcommand help; and __fish_seen_subcommand_from state" -f -a "scans" -d 'Recorded scans, newest first'
complete -c plumb -n "__fish_plumb_using_subcommand help; and __fish_seen_subcommand_from state" -f -a "history" -d 'A host\'s change log, newest first'
complete -c plumb -n "__fish_plumb_using_subcommand help; and __fish_seen_subcommand_from state" -f -a "check" -d 'Integrity check, foreign keys and the change log\'s hash chain (exit 1 if unsound)'
complete -c plumb -n "__fish_plumb_using_subcommand help; and __fish_seen_subcommand_from state" -f -a "migrate" -d 'Apply pending schema migrations, including ones not applied automatically'
complete -c plumb -n "__fish_plumb_using_subcommand help; and __fish_seen_subcommand_from state" -f -a "prune" -d 'Drop scans and change-log rows older than DURATION (current state, each host\'s last scan and the scan with the highest policy version are kept)'
complete -c plumb -n "__fish_plumb_using_subcommand help; and __fish_seen_subcommand_from state" -f -a "vacuum" -d 'Rebuild the file to reclaim space (a state file only)'
complete -c plumb -n "__fish_plumb_using_subcommand help; and __fish_seen_subcommand_from state" -f -a "copy" -d 'Copy a whole state into an empty one: a file into PostgreSQL, or a database back to a file (either side a path or a postgres:// URL; --state is not used)'
complete -c plumb -n "__fish_plumb_using_subcommand help; and __fish_seen_subcommand_from state" -f -a "export" -d 'Write what a consumer has not acknowledged: changed results in full, unchanged hosts as references, removals (JSON, or NDJSON with --format ndjson). Moves no cursor'
complete -c plumb -n "__fish_plumb_using_subcommand help; and __fish_seen_subcommand_from state" -f -a "ack" -d 'Acknowledge an exported batch after uploading it: the consumer\'s cursor moves to it'
complete -c plumb -n "__fish_plumb_using_subcommand help; and __fish_seen_subcommand_from state" -f -a "report" -d 'The fleet\'s HTML report (--format html, the default): hosts by score, findings, rule texts and trends, in one self-contained page'
complete -c plumb -n "__fish_plumb_using_subcommand help; and __fish_seen_subcommand_from state" -f -a "consumers" -d 'Each export consumer\'s cursor, last acknowledgement and whether a full sync is due'
complete -c plumb -n "__fish_plumb_using_subcommand help; and __fish_seen_subcommand_from schedule" -f -a "run-once" -d 'Claim the hosts that are due, scan them, reschedule them, and exit (for cron or a systemd timer; overlapping runs never scan a host twice)'
complete -c plumb -n "__fish_plumb_using_subcommand help; and __fish_seen_subcommand_from schedule" -f -a "status" -d 'Per host: tier, score, interval, next scan, how overdue, maintenance and backoff'
complete -c plumb -n "__fish_plumb_using_subcommand help; and __fish_seen_subcommand_from schedule" -f -a "maintenance" -d 'Keep a host out of scheduled scans until a time, for a while, or no longer'
complete -c plumb -n "__fish_plumb_using_subcommand help; and __fish_seen_subcommand_from schedule" -f -a "cron" -d 'Print a crontab line and a systemd service and timer that run `run-once` with these options'
complete -c plumb -n "__fish_plumb_using_subcommand help; and __fish_seen_subcommand_from rules" -f -a "list" -d 'The loaded rules: id, severity, profiles, tags and title (json: also references, platforms, methods and where each is defined)'
complete -c plumb -n "__fish_plumb_using_subcommand help; and __fish_seen_subcommand_from rules" -f -a "show" -d 'One rule in full: texts, severity, tags, profiles, references, notes, platforms, vars, its checks as written, remediation and where it is defined'
complete -c plumb -n "__fish_plumb_using_subcommand help; and __fish_seen_subcommand_from rules" -f -a "check" -d 'Validate rule files without scanning, and lint them for missing remediation or references'
complete -c plumb -n "__fish_plumb_using_subcommand help; and __fish_seen_subcommand_from generate" -f -a "man" -d 'Write the man pages (plumb.1 and one per subcommand) into DIR, for example /usr/local/share/man/man1'
complete -c plumb -n "__fish_plumb_using_subcommand help; and __fish_seen_subcommand_from generate" -f -a "completions" -d 'Write the shell completions (bash, zsh, fish, elvish, powershell) into DIR'
