
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'plumb' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'plumb'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'plumb' {
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colors (auto: only on a terminal, and never when NO_COLOR is set)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format [default: table on a terminal, json otherwise]')
            [CompletionResult]::new('--state', '--state', [CompletionResultType]::ParameterName, 'State file, or a postgres:// URL [default: <state dir>/plumb/state.db]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: <config dir>/plumb/config.yaml]')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only print errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only print errors on stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail on stderr (-v: info, -vv: debug with the time since start, -vvv: trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail on stderr (-v: info, -vv: debug with the time since start, -vvv: trace)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('scan', 'scan', [CompletionResultType]::ParameterValue, 'Check hosts against rules and report (and store) the results')
            [CompletionResult]::new('state', 'state', [CompletionResultType]::ParameterValue, 'Inspect, verify, prune, migrate and copy the state (a file, or a PostgreSQL database)')
            [CompletionResult]::new('schedule', 'schedule', [CompletionResultType]::ParameterValue, 'Scheduled scans without a daemon: `run-once` for cron or a systemd timer, status, maintenance')
            [CompletionResult]::new('drift', 'drift', [CompletionResultType]::ParameterValue, 'What changed: between scans, since a time, at a time, host against host, or across the fleet')
            [CompletionResult]::new('rules', 'rules', [CompletionResultType]::ParameterValue, 'The rule pack without scanning: list, show one rule, validate and lint rule files')
            [CompletionResult]::new('verify-policy', 'verify-policy', [CompletionResultType]::ParameterValue, 'Check a scan policy''s signature, signer, revocation, schema, clamps and pins')
            [CompletionResult]::new('generate', 'generate', [CompletionResultType]::ParameterValue, 'Write the man pages or shell completions into a directory, to install them')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'plumb;scan' {
            [CompletionResult]::new('-i', '-i', [CompletionResultType]::ParameterName, 'Hosts from an inventory: plumb''s YAML format or an Ansible YAML inventory')
            [CompletionResult]::new('--inventory', '--inventory', [CompletionResultType]::ParameterName, 'Hosts from an inventory: plumb''s YAML format or an Ansible YAML inventory')
            [CompletionResult]::new('--limit', '--limit', [CompletionResultType]::ParameterName, 'Only inventory hosts matching an Ansible host pattern: a:b union, a:&b intersection, a:!b exclusion; globs, ~regex; names, groups, labels (repeatable: every one must match)')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'Log in as this user (a user in HOST or the inventory wins)')
            [CompletionResult]::new('--port', '--port', [CompletionResultType]::ParameterName, 'SSH port (a port in HOST or the inventory wins)')
            [CompletionResult]::new('--identity', '--identity', [CompletionResultType]::ParameterName, 'Private key to authenticate with')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'An ssh option, as for `ssh -o` (repeatable)')
            [CompletionResult]::new('--ssh-option', '--ssh-option', [CompletionResultType]::ParameterName, 'An ssh option, as for `ssh -o` (repeatable)')
            [CompletionResult]::new('--ssh-config', '--ssh-config', [CompletionResultType]::ParameterName, 'Use this ssh_config instead of ~/.ssh/config and /etc/ssh/ssh_config')
            [CompletionResult]::new('--host-key-policy', '--host-key-policy', [CompletionResultType]::ParameterName, 'strict: the host key must be known; accept-new: trust a first-seen key. A changed key is always refused [default: the policy''s, else strict]')
            [CompletionResult]::new('--known-hosts', '--known-hosts', [CompletionResultType]::ParameterName, 'known_hosts file to check host keys against')
            [CompletionResult]::new('--connect-timeout', '--connect-timeout', [CompletionResultType]::ParameterName, 'Seconds to wait for a connection [default: the policy''s, else 10]')
            [CompletionResult]::new('--probe-timeout', '--probe-timeout', [CompletionResultType]::ParameterName, 'Seconds the whole probe may take on one host [default: the policy''s, else 300]')
            [CompletionResult]::new('--concurrency', '--concurrency', [CompletionResultType]::ParameterName, 'Hosts scanned at once [default: the policy''s, else 16]')
            [CompletionResult]::new('--max-output', '--max-output', [CompletionResultType]::ParameterName, 'Most bytes one host may send back before it is cut off')
            [CompletionResult]::new('--rules', '--rules', [CompletionResultType]::ParameterName, 'Rule files or directories (replaces the embedded default pack; repeatable)')
            [CompletionResult]::new('--var', '--var', [CompletionResultType]::ParameterName, 'Set a rule variable (repeatable)')
            [CompletionResult]::new('--vars-file', '--vars-file', [CompletionResultType]::ParameterName, 'Rule variables from a YAML file: a mapping of names to values, or Kensa''s defaults file (`variables:`). Repeatable, later files win; --var, inventory and policy vars win over it')
            [CompletionResult]::new('--rules-dialect', '--rules-dialect', [CompletionResultType]::ParameterName, 'The format rule files are written in: auto reads a file with a Kensa-only key (category, transactional, depends_on, ...) as Kensa''s and any other as plumb''s')
            [CompletionResult]::new('--root', '--root', [CompletionResultType]::ParameterName, 'Scan a directory tree (image, chroot, container filesystem) instead of the live system')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Only rules in this profile, such as cis_l1_server (repeatable: rules in any of them)')
            [CompletionResult]::new('--rule', '--rule', [CompletionResultType]::ParameterName, 'Only these rules (repeatable)')
            [CompletionResult]::new('--tag', '--tag', [CompletionResultType]::ParameterName, 'Only rules with one of these tags (repeatable)')
            [CompletionResult]::new('--min-severity', '--min-severity', [CompletionResultType]::ParameterName, 'Only rules at or above this severity')
            [CompletionResult]::new('--exclude', '--exclude', [CompletionResultType]::ParameterName, 'Leave these rules out (repeatable)')
            [CompletionResult]::new('--fail-on', '--fail-on', [CompletionResultType]::ParameterName, 'Exit 1 when a rule at or above this severity fails. `never` is a soft fail of findings only: a host that could not be scanned still exits 3, and so does a rule in `error` unless --allow-errors [default: the config file''s fail_on, else low]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Write the report to FILE (atomically) instead of stdout')
            [CompletionResult]::new('--evidence-max-bytes', '--evidence-max-bytes', [CompletionResultType]::ParameterName, 'Evidence cap per rule in bytes, at most 262144 [default: the policy''s, else 65536]')
            [CompletionResult]::new('--host-name', '--host-name', [CompletionResultType]::ParameterName, 'Name the scanned host in reports and the state file (default: the hostname, or the --root directory name)')
            [CompletionResult]::new('--waivers', '--waivers', [CompletionResultType]::ParameterName, 'Accept the failures these waivers name (repeatable; see README "Waivers"). Under a signed policy the file must be signed too (FILE.sig)')
            [CompletionResult]::new('--policy', '--policy', [CompletionResultType]::ParameterName, 'The signed scan policy (rule sets, vars, ssh, evidence, schedule and export settings) [default: the config file''s policy]')
            [CompletionResult]::new('--allowed-signers', '--allowed-signers', [CompletionResultType]::ParameterName, 'OpenSSH allowed_signers file with the keys trusted to sign policies')
            [CompletionResult]::new('--key', '--key', [CompletionResultType]::ParameterName, 'A single trusted public key (.pub); wins over allowed_signers')
            [CompletionResult]::new('--signature', '--signature', [CompletionResultType]::ParameterName, 'The detached signature [default: POLICY.sig]')
            [CompletionResult]::new('--revocation-list', '--revocation-list', [CompletionResultType]::ParameterName, 'Fingerprints of revoked keys, one a line [default: the policy''s revocation_list]')
            [CompletionResult]::new('--explain', '--explain', [CompletionResultType]::ParameterName, 'Show this rule in full: expected and actual values, source, remediation and references (repeatable)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colors (auto: only on a terminal, and never when NO_COLOR is set)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format [default: table on a terminal, json otherwise]')
            [CompletionResult]::new('--state', '--state', [CompletionResultType]::ParameterName, 'State file, or a postgres:// URL [default: <state dir>/plumb/state.db]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: <config dir>/plumb/config.yaml]')
            [CompletionResult]::new('--local', '--local', [CompletionResultType]::ParameterName, 'Scan this machine too (it is the default when no host or inventory is given)')
            [CompletionResult]::new('--sudo', '--sudo', [CompletionResultType]::ParameterName, 'Run the probe through `sudo -n` on the host')
            [CompletionResult]::new('--allow-errors', '--allow-errors', [CompletionResultType]::ParameterName, 'Do not fail the run (exit 3) for rules that could not be assessed (status `error`) at or above --fail-on (any severity with --fail-on never); they are still reported')
            [CompletionResult]::new('--no-store', '--no-store', [CompletionResultType]::ParameterName, 'Do not record the results in the state file')
            [CompletionResult]::new('--via-shell', '--via-shell', [CompletionResultType]::ParameterName, 'Gather facts with the generated sh script (what remote scans run) instead of natively')
            [CompletionResult]::new('--allow-unsigned-policy', '--allow-unsigned-policy', [CompletionResultType]::ParameterName, 'Use a policy whose signature does not verify (development only; warns). For `schedule run-once`, also run without any policy')
            [CompletionResult]::new('--summary', '--summary', [CompletionResultType]::ParameterName, 'Print the header and the summary (counts, score, changes, errors) only')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only print errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only print errors on stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail on stderr (-v: info, -vv: debug with the time since start, -vvv: trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail on stderr (-v: info, -vv: debug with the time since start, -vvv: trace)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'plumb;state' {
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colors (auto: only on a terminal, and never when NO_COLOR is set)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format [default: table on a terminal, json otherwise]')
            [CompletionResult]::new('--state', '--state', [CompletionResultType]::ParameterName, 'State file, or a postgres:// URL [default: <state dir>/plumb/state.db]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: <config dir>/plumb/config.yaml]')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only print errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only print errors on stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail on stderr (-v: info, -vv: debug with the time since start, -vvv: trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail on stderr (-v: info, -vv: debug with the time since start, -vvv: trace)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('path', 'path', [CompletionResultType]::ParameterValue, 'Print the state file''s path')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Schema version, size, row counts and each host''s last scan')
            [CompletionResult]::new('hosts', 'hosts', [CompletionResultType]::ParameterValue, 'Every host with its score, compliance tier and failing rules by severity')
            [CompletionResult]::new('scans', 'scans', [CompletionResultType]::ParameterValue, 'Recorded scans, newest first')
            [CompletionResult]::new('history', 'history', [CompletionResultType]::ParameterValue, 'A host''s change log, newest first')
            [CompletionResult]::new('check', 'check', [CompletionResultType]::ParameterValue, 'Integrity check, foreign keys and the change log''s hash chain (exit 1 if unsound)')
            [CompletionResult]::new('migrate', 'migrate', [CompletionResultType]::ParameterValue, 'Apply pending schema migrations, including ones not applied automatically')
            [CompletionResult]::new('prune', 'prune', [CompletionResultType]::ParameterValue, 'Drop scans and change-log rows older than DURATION (current state, each host''s last scan and the scan with the highest policy version are kept)')
            [CompletionResult]::new('vacuum', 'vacuum', [CompletionResultType]::ParameterValue, 'Rebuild the file to reclaim space (a state file only)')
            [CompletionResult]::new('copy', 'copy', [CompletionResultType]::ParameterValue, 'Copy a whole state into an empty one: a file into PostgreSQL, or a database back to a file (either side a path or a postgres:// URL; --state is not used)')
            [CompletionResult]::new('export', 'export', [CompletionResultType]::ParameterValue, 'Write what a consumer has not acknowledged: changed results in full, unchanged hosts as references, removals (JSON, or NDJSON with --format ndjson). Moves no cursor')
            [CompletionResult]::new('ack', 'ack', [CompletionResultType]::ParameterValue, 'Acknowledge an exported batch after uploading it: the consumer''s cursor moves to it')
            [CompletionResult]::new('report', 'report', [CompletionResultType]::ParameterValue, 'The fleet''s HTML report (--format html, the default): hosts by score, findings, rule texts and trends, in one self-contained page')
            [CompletionResult]::new('consumers', 'consumers', [CompletionResultType]::ParameterValue, 'Each export consumer''s cursor, last acknowledgement and whether a full sync is due')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'plumb;state;path' {
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colors (auto: only on a terminal, and never when NO_COLOR is set)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format [default: table on a terminal, json otherwise]')
            [CompletionResult]::new('--state', '--state', [CompletionResultType]::ParameterName, 'State file, or a postgres:// URL [default: <state dir>/plumb/state.db]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: <config dir>/plumb/config.yaml]')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only print errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only print errors on stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail on stderr (-v: info, -vv: debug with the time since start, -vvv: trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail on stderr (-v: info, -vv: debug with the time since start, -vvv: trace)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'plumb;state;show' {
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colors (auto: only on a terminal, and never when NO_COLOR is set)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format [default: table on a terminal, json otherwise]')
            [CompletionResult]::new('--state', '--state', [CompletionResultType]::ParameterName, 'State file, or a postgres:// URL [default: <state dir>/plumb/state.db]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: <config dir>/plumb/config.yaml]')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only print errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only print errors on stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail on stderr (-v: info, -vv: debug with the time since start, -vvv: trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail on stderr (-v: info, -vv: debug with the time since start, -vvv: trace)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'plumb;state;hosts' {
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colors (auto: only on a terminal, and never when NO_COLOR is set)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format [default: table on a terminal, json otherwise]')
            [CompletionResult]::new('--state', '--state', [CompletionResultType]::ParameterName, 'State file, or a postgres:// URL [default: <state dir>/plumb/state.db]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: <config dir>/plumb/config.yaml]')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only print errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only print errors on stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail on stderr (-v: info, -vv: debug with the time since start, -vvv: trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail on stderr (-v: info, -vv: debug with the time since start, -vvv: trace)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'plumb;state;scans' {
            [CompletionResult]::new('--host', '--host', [CompletionResultType]::ParameterName, 'Only scans of this host')
            [CompletionResult]::new('--limit', '--limit', [CompletionResultType]::ParameterName, 'limit')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colors (auto: only on a terminal, and never when NO_COLOR is set)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format [default: table on a terminal, json otherwise]')
            [CompletionResult]::new('--state', '--state', [CompletionResultType]::ParameterName, 'State file, or a postgres:// URL [default: <state dir>/plumb/state.db]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: <config dir>/plumb/config.yaml]')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only print errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only print errors on stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail on stderr (-v: info, -vv: debug with the time since start, -vvv: trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail on stderr (-v: info, -vv: debug with the time since start, -vvv: trace)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'plumb;state;history' {
            [CompletionResult]::new('--rule', '--rule', [CompletionResultType]::ParameterName, 'Only changes of this rule')
            [CompletionResult]::new('--limit', '--limit', [CompletionResultType]::ParameterName, 'limit')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colors (auto: only on a terminal, and never when NO_COLOR is set)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format [default: table on a terminal, json otherwise]')
            [CompletionResult]::new('--state', '--state', [CompletionResultType]::ParameterName, 'State file, or a postgres:// URL [default: <state dir>/plumb/state.db]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: <config dir>/plumb/config.yaml]')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only print errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only print errors on stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail on stderr (-v: info, -vv: debug with the time since start, -vvv: trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail on stderr (-v: info, -vv: debug with the time since start, -vvv: trace)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'plumb;state;check' {
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colors (auto: only on a terminal, and never when NO_COLOR is set)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format [default: table on a terminal, json otherwise]')
            [CompletionResult]::new('--state', '--state', [CompletionResultType]::ParameterName, 'State file, or a postgres:// URL [default: <state dir>/plumb/state.db]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: <config dir>/plumb/config.yaml]')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only print errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only print errors on stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail on stderr (-v: info, -vv: debug with the time since start, -vvv: trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail on stderr (-v: info, -vv: debug with the time since start, -vvv: trace)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'plumb;state;migrate' {
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colors (auto: only on a terminal, and never when NO_COLOR is set)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format [default: table on a terminal, json otherwise]')
            [CompletionResult]::new('--state', '--state', [CompletionResultType]::ParameterName, 'State file, or a postgres:// URL [default: <state dir>/plumb/state.db]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: <config dir>/plumb/config.yaml]')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only print errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only print errors on stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail on stderr (-v: info, -vv: debug with the time since start, -vvv: trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail on stderr (-v: info, -vv: debug with the time since start, -vvv: trace)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'plumb;state;prune' {
            [CompletionResult]::new('--older-than', '--older-than', [CompletionResultType]::ParameterName, 'Age such as 90s, 15m, 4h, 30d')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colors (auto: only on a terminal, and never when NO_COLOR is set)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format [default: table on a terminal, json otherwise]')
            [CompletionResult]::new('--state', '--state', [CompletionResultType]::ParameterName, 'State file, or a postgres:// URL [default: <state dir>/plumb/state.db]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: <config dir>/plumb/config.yaml]')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only print errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only print errors on stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail on stderr (-v: info, -vv: debug with the time since start, -vvv: trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail on stderr (-v: info, -vv: debug with the time since start, -vvv: trace)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'plumb;state;vacuum' {
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colors (auto: only on a terminal, and never when NO_COLOR is set)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format [default: table on a terminal, json otherwise]')
            [CompletionResult]::new('--state', '--state', [CompletionResultType]::ParameterName, 'State file, or a postgres:// URL [default: <state dir>/plumb/state.db]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: <config dir>/plumb/config.yaml]')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only print errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only print errors on stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail on stderr (-v: info, -vv: debug with the time since start, -vvv: trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail on stderr (-v: info, -vv: debug with the time since start, -vvv: trace)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'plumb;state;copy' {
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colors (auto: only on a terminal, and never when NO_COLOR is set)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format [default: table on a terminal, json otherwise]')
            [CompletionResult]::new('--state', '--state', [CompletionResultType]::ParameterName, 'State file, or a postgres:// URL [default: <state dir>/plumb/state.db]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: <config dir>/plumb/config.yaml]')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only print errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only print errors on stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail on stderr (-v: info, -vv: debug with the time since start, -vvv: trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail on stderr (-v: info, -vv: debug with the time since start, -vvv: trace)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'plumb;state;export' {
            [CompletionResult]::new('--consumer', '--consumer', [CompletionResultType]::ParameterName, 'Who the batch is for (created on first export)')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Write the batch to FILE (atomically) instead of stdout')
            [CompletionResult]::new('--full-sync-horizon', '--full-sync-horizon', [CompletionResultType]::ParameterName, 'Send everything when the consumer''s last acknowledged full batch is older than this, such as 12h or 7d [default: the policy''s export.full_sync_horizon, else 7d]')
            [CompletionResult]::new('--policy', '--policy', [CompletionResultType]::ParameterName, 'The signed scan policy (rule sets, vars, ssh, evidence, schedule and export settings) [default: the config file''s policy]')
            [CompletionResult]::new('--allowed-signers', '--allowed-signers', [CompletionResultType]::ParameterName, 'OpenSSH allowed_signers file with the keys trusted to sign policies')
            [CompletionResult]::new('--key', '--key', [CompletionResultType]::ParameterName, 'A single trusted public key (.pub); wins over allowed_signers')
            [CompletionResult]::new('--signature', '--signature', [CompletionResultType]::ParameterName, 'The detached signature [default: POLICY.sig]')
            [CompletionResult]::new('--revocation-list', '--revocation-list', [CompletionResultType]::ParameterName, 'Fingerprints of revoked keys, one a line [default: the policy''s revocation_list]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colors (auto: only on a terminal, and never when NO_COLOR is set)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format [default: table on a terminal, json otherwise]')
            [CompletionResult]::new('--state', '--state', [CompletionResultType]::ParameterName, 'State file, or a postgres:// URL [default: <state dir>/plumb/state.db]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: <config dir>/plumb/config.yaml]')
            [CompletionResult]::new('--full', '--full', [CompletionResultType]::ParameterName, 'Send every result, whatever the consumer acknowledged')
            [CompletionResult]::new('--allow-unsigned-policy', '--allow-unsigned-policy', [CompletionResultType]::ParameterName, 'Use a policy whose signature does not verify (development only; warns). For `schedule run-once`, also run without any policy')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only print errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only print errors on stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail on stderr (-v: info, -vv: debug with the time since start, -vvv: trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail on stderr (-v: info, -vv: debug with the time since start, -vvv: trace)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'plumb;state;ack' {
            [CompletionResult]::new('--consumer', '--consumer', [CompletionResultType]::ParameterName, 'consumer')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colors (auto: only on a terminal, and never when NO_COLOR is set)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format [default: table on a terminal, json otherwise]')
            [CompletionResult]::new('--state', '--state', [CompletionResultType]::ParameterName, 'State file, or a postgres:// URL [default: <state dir>/plumb/state.db]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: <config dir>/plumb/config.yaml]')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only print errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only print errors on stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail on stderr (-v: info, -vv: debug with the time since start, -vvv: trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail on stderr (-v: info, -vv: debug with the time since start, -vvv: trace)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'plumb;state;report' {
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Write the page to FILE (atomically) instead of stdout')
            [CompletionResult]::new('--since', '--since', [CompletionResultType]::ParameterName, 'Trends cover scans finished in the last AGE, such as 30d or 12h')
            [CompletionResult]::new('--rules', '--rules', [CompletionResultType]::ParameterName, 'Rule files or directories for the rules'' texts [default: the embedded pack]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colors (auto: only on a terminal, and never when NO_COLOR is set)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format [default: table on a terminal, json otherwise]')
            [CompletionResult]::new('--state', '--state', [CompletionResultType]::ParameterName, 'State file, or a postgres:// URL [default: <state dir>/plumb/state.db]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: <config dir>/plumb/config.yaml]')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only print errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only print errors on stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail on stderr (-v: info, -vv: debug with the time since start, -vvv: trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail on stderr (-v: info, -vv: debug with the time since start, -vvv: trace)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'plumb;state;consumers' {
            [CompletionResult]::new('--full-sync-horizon', '--full-sync-horizon', [CompletionResultType]::ParameterName, 'As for `state export`')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colors (auto: only on a terminal, and never when NO_COLOR is set)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format [default: table on a terminal, json otherwise]')
            [CompletionResult]::new('--state', '--state', [CompletionResultType]::ParameterName, 'State file, or a postgres:// URL [default: <state dir>/plumb/state.db]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: <config dir>/plumb/config.yaml]')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only print errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only print errors on stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail on stderr (-v: info, -vv: debug with the time since start, -vvv: trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail on stderr (-v: info, -vv: debug with the time since start, -vvv: trace)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'plumb;state;help' {
            [CompletionResult]::new('path', 'path', [CompletionResultType]::ParameterValue, 'Print the state file''s path')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Schema version, size, row counts and each host''s last scan')
            [CompletionResult]::new('hosts', 'hosts', [CompletionResultType]::ParameterValue, 'Every host with its score, compliance tier and failing rules by severity')
            [CompletionResult]::new('scans', 'scans', [CompletionResultType]::ParameterValue, 'Recorded scans, newest first')
            [CompletionResult]::new('history', 'history', [CompletionResultType]::ParameterValue, 'A host''s change log, newest first')
            [CompletionResult]::new('check', 'check', [CompletionResultType]::ParameterValue, 'Integrity check, foreign keys and the change log''s hash chain (exit 1 if unsound)')
            [CompletionResult]::new('migrate', 'migrate', [CompletionResultType]::ParameterValue, 'Apply pending schema migrations, including ones not applied automatically')
            [CompletionResult]::new('prune', 'prune', [CompletionResultType]::ParameterValue, 'Drop scans and change-log rows older than DURATION (current state, each host''s last scan and the scan with the highest policy version are kept)')
            [CompletionResult]::new('vacuum', 'vacuum', [CompletionResultType]::ParameterValue, 'Rebuild the file to reclaim space (a state file only)')
            [CompletionResult]::new('copy', 'copy', [CompletionResultType]::ParameterValue, 'Copy a whole state into an empty one: a file into PostgreSQL, or a database back to a file (either side a path or a postgres:// URL; --state is not used)')
            [CompletionResult]::new('export', 'export', [CompletionResultType]::ParameterValue, 'Write what a consumer has not acknowledged: changed results in full, unchanged hosts as references, removals (JSON, or NDJSON with --format ndjson). Moves no cursor')
            [CompletionResult]::new('ack', 'ack', [CompletionResultType]::ParameterValue, 'Acknowledge an exported batch after uploading it: the consumer''s cursor moves to it')
            [CompletionResult]::new('report', 'report', [CompletionResultType]::ParameterValue, 'The fleet''s HTML report (--format html, the default): hosts by score, findings, rule texts and trends, in one self-contained page')
            [CompletionResult]::new('consumers', 'consumers', [CompletionResultType]::ParameterValue, 'Each export consumer''s cursor, last acknowledgement and whether a full sync is due')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'plumb;state;help;path' {
            break
        }
        'plumb;state;help;show' {
            break
        }
        'plumb;state;help;hosts' {
            break
        }
        'plumb;state;help;scans' {
            break
        }
        'plumb;state;help;history' {
            break
        }
        'plumb;state;help;check' {
            break
        }
        'plumb;state;help;migrate' {
            break
        }
        'plumb;state;help;prune' {
            break
        }
        'plumb;state;help;vacuum' {
            break
        }
        'plumb;state;help;copy' {
            break
        }
        'plumb;state;help;export' {
            break
        }
        'plumb;state;help;ack' {
            break
        }
        'plumb;state;help;report' {
            break
        }
        'plumb;state;help;consumers' {
            break
        }
        'plumb;state;help;help' {
            break
        }
        'plumb;schedule' {
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colors (auto: only on a terminal, and never when NO_COLOR is set)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format [default: table on a terminal, json otherwise]')
            [CompletionResult]::new('--state', '--state', [CompletionResultType]::ParameterName, 'State file, or a postgres:// URL [default: <state dir>/plumb/state.db]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: <config dir>/plumb/config.yaml]')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only print errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only print errors on stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail on stderr (-v: info, -vv: debug with the time since start, -vvv: trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail on stderr (-v: info, -vv: debug with the time since start, -vvv: trace)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('run-once', 'run-once', [CompletionResultType]::ParameterValue, 'Claim the hosts that are due, scan them, reschedule them, and exit (for cron or a systemd timer; overlapping runs never scan a host twice)')
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'Per host: tier, score, interval, next scan, how overdue, maintenance and backoff')
            [CompletionResult]::new('maintenance', 'maintenance', [CompletionResultType]::ParameterValue, 'Keep a host out of scheduled scans until a time, for a while, or no longer')
            [CompletionResult]::new('cron', 'cron', [CompletionResultType]::ParameterValue, 'Print a crontab line and a systemd service and timer that run `run-once` with these options')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'plumb;schedule;run-once' {
            [CompletionResult]::new('-i', '-i', [CompletionResultType]::ParameterName, 'Hosts from an inventory: plumb''s YAML format or an Ansible YAML inventory')
            [CompletionResult]::new('--inventory', '--inventory', [CompletionResultType]::ParameterName, 'Hosts from an inventory: plumb''s YAML format or an Ansible YAML inventory')
            [CompletionResult]::new('--limit', '--limit', [CompletionResultType]::ParameterName, 'Only inventory hosts matching an Ansible host pattern: a:b union, a:&b intersection, a:!b exclusion; globs, ~regex; names, groups, labels (repeatable: every one must match)')
            [CompletionResult]::new('--rules', '--rules', [CompletionResultType]::ParameterName, 'Rule files or directories (replaces the embedded default pack; repeatable)')
            [CompletionResult]::new('--var', '--var', [CompletionResultType]::ParameterName, 'Set a rule variable (repeatable)')
            [CompletionResult]::new('--vars-file', '--vars-file', [CompletionResultType]::ParameterName, 'Rule variables from a YAML file: a mapping of names to values, or Kensa''s defaults file (`variables:`). Repeatable, later files win; --var, inventory and policy vars win over it')
            [CompletionResult]::new('--rules-dialect', '--rules-dialect', [CompletionResultType]::ParameterName, 'The format rule files are written in: auto reads a file with a Kensa-only key (category, transactional, depends_on, ...) as Kensa''s and any other as plumb''s')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Only rules in this profile, such as cis_l1_server (repeatable: rules in any of them)')
            [CompletionResult]::new('--policy', '--policy', [CompletionResultType]::ParameterName, 'The signed scan policy (rule sets, vars, ssh, evidence, schedule and export settings) [default: the config file''s policy]')
            [CompletionResult]::new('--allowed-signers', '--allowed-signers', [CompletionResultType]::ParameterName, 'OpenSSH allowed_signers file with the keys trusted to sign policies')
            [CompletionResult]::new('--key', '--key', [CompletionResultType]::ParameterName, 'A single trusted public key (.pub); wins over allowed_signers')
            [CompletionResult]::new('--signature', '--signature', [CompletionResultType]::ParameterName, 'The detached signature [default: POLICY.sig]')
            [CompletionResult]::new('--revocation-list', '--revocation-list', [CompletionResultType]::ParameterName, 'Fingerprints of revoked keys, one a line [default: the policy''s revocation_list]')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'Log in as this user (a user in HOST or the inventory wins)')
            [CompletionResult]::new('--port', '--port', [CompletionResultType]::ParameterName, 'SSH port (a port in HOST or the inventory wins)')
            [CompletionResult]::new('--identity', '--identity', [CompletionResultType]::ParameterName, 'Private key to authenticate with')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'An ssh option, as for `ssh -o` (repeatable)')
            [CompletionResult]::new('--ssh-option', '--ssh-option', [CompletionResultType]::ParameterName, 'An ssh option, as for `ssh -o` (repeatable)')
            [CompletionResult]::new('--ssh-config', '--ssh-config', [CompletionResultType]::ParameterName, 'Use this ssh_config instead of ~/.ssh/config and /etc/ssh/ssh_config')
            [CompletionResult]::new('--host-key-policy', '--host-key-policy', [CompletionResultType]::ParameterName, 'strict: the host key must be known; accept-new: trust a first-seen key. A changed key is always refused [default: the policy''s, else strict]')
            [CompletionResult]::new('--known-hosts', '--known-hosts', [CompletionResultType]::ParameterName, 'known_hosts file to check host keys against')
            [CompletionResult]::new('--connect-timeout', '--connect-timeout', [CompletionResultType]::ParameterName, 'Seconds to wait for a connection [default: the policy''s, else 10]')
            [CompletionResult]::new('--probe-timeout', '--probe-timeout', [CompletionResultType]::ParameterName, 'Seconds the whole probe may take on one host [default: the policy''s, else 300]')
            [CompletionResult]::new('--concurrency', '--concurrency', [CompletionResultType]::ParameterName, 'Hosts scanned at once [default: the policy''s, else 16]')
            [CompletionResult]::new('--max-output', '--max-output', [CompletionResultType]::ParameterName, 'Most bytes one host may send back before it is cut off')
            [CompletionResult]::new('--max-hosts', '--max-hosts', [CompletionResultType]::ParameterName, 'Most hosts this pass claims [default: the policy''s max_hosts_per_run, else no cap]')
            [CompletionResult]::new('--lease', '--lease', [CompletionResultType]::ParameterName, 'How long a claim holds a host before another run may take it over, such as 30m [default: the probe timeout for each round of --concurrency hosts, plus one]')
            [CompletionResult]::new('--fail-on', '--fail-on', [CompletionResultType]::ParameterName, 'Lowest severity of a failure that makes the exit code 1')
            [CompletionResult]::new('--waivers', '--waivers', [CompletionResultType]::ParameterName, 'Accept the failures these waivers name (repeatable), as `scan --waivers`')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colors (auto: only on a terminal, and never when NO_COLOR is set)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format [default: table on a terminal, json otherwise]')
            [CompletionResult]::new('--state', '--state', [CompletionResultType]::ParameterName, 'State file, or a postgres:// URL [default: <state dir>/plumb/state.db]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: <config dir>/plumb/config.yaml]')
            [CompletionResult]::new('--allow-unsigned-policy', '--allow-unsigned-policy', [CompletionResultType]::ParameterName, 'Use a policy whose signature does not verify (development only; warns). For `schedule run-once`, also run without any policy')
            [CompletionResult]::new('--sudo', '--sudo', [CompletionResultType]::ParameterName, 'Run the probe through `sudo -n` on the host')
            [CompletionResult]::new('--allow-errors', '--allow-errors', [CompletionResultType]::ParameterName, 'Exit 0/1 even when rules could not be assessed')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only print errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only print errors on stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail on stderr (-v: info, -vv: debug with the time since start, -vvv: trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail on stderr (-v: info, -vv: debug with the time since start, -vvv: trace)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'plumb;schedule;status' {
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colors (auto: only on a terminal, and never when NO_COLOR is set)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format [default: table on a terminal, json otherwise]')
            [CompletionResult]::new('--state', '--state', [CompletionResultType]::ParameterName, 'State file, or a postgres:// URL [default: <state dir>/plumb/state.db]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: <config dir>/plumb/config.yaml]')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only print errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only print errors on stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail on stderr (-v: info, -vv: debug with the time since start, -vvv: trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail on stderr (-v: info, -vv: debug with the time since start, -vvv: trace)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'plumb;schedule;maintenance' {
            [CompletionResult]::new('--until', '--until', [CompletionResultType]::ParameterName, 'End of the window: RFC 3339 (2026-12-01T06:00:00Z) or a date (midnight UTC)')
            [CompletionResult]::new('--for', '--for', [CompletionResultType]::ParameterName, 'Length of the window from now, such as 2h or 1d')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colors (auto: only on a terminal, and never when NO_COLOR is set)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format [default: table on a terminal, json otherwise]')
            [CompletionResult]::new('--state', '--state', [CompletionResultType]::ParameterName, 'State file, or a postgres:// URL [default: <state dir>/plumb/state.db]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: <config dir>/plumb/config.yaml]')
            [CompletionResult]::new('--clear', '--clear', [CompletionResultType]::ParameterName, 'End the host''s maintenance now')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only print errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only print errors on stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail on stderr (-v: info, -vv: debug with the time since start, -vvv: trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail on stderr (-v: info, -vv: debug with the time since start, -vvv: trace)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'plumb;schedule;cron' {
            [CompletionResult]::new('-i', '-i', [CompletionResultType]::ParameterName, 'Hosts from an inventory: plumb''s YAML format or an Ansible YAML inventory')
            [CompletionResult]::new('--inventory', '--inventory', [CompletionResultType]::ParameterName, 'Hosts from an inventory: plumb''s YAML format or an Ansible YAML inventory')
            [CompletionResult]::new('--limit', '--limit', [CompletionResultType]::ParameterName, 'Only inventory hosts matching an Ansible host pattern: a:b union, a:&b intersection, a:!b exclusion; globs, ~regex; names, groups, labels (repeatable: every one must match)')
            [CompletionResult]::new('--rules', '--rules', [CompletionResultType]::ParameterName, 'Rule files or directories (replaces the embedded default pack; repeatable)')
            [CompletionResult]::new('--var', '--var', [CompletionResultType]::ParameterName, 'Set a rule variable (repeatable)')
            [CompletionResult]::new('--vars-file', '--vars-file', [CompletionResultType]::ParameterName, 'Rule variables from a YAML file: a mapping of names to values, or Kensa''s defaults file (`variables:`). Repeatable, later files win; --var, inventory and policy vars win over it')
            [CompletionResult]::new('--rules-dialect', '--rules-dialect', [CompletionResultType]::ParameterName, 'The format rule files are written in: auto reads a file with a Kensa-only key (category, transactional, depends_on, ...) as Kensa''s and any other as plumb''s')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Only rules in this profile, such as cis_l1_server (repeatable: rules in any of them)')
            [CompletionResult]::new('--policy', '--policy', [CompletionResultType]::ParameterName, 'The signed scan policy (rule sets, vars, ssh, evidence, schedule and export settings) [default: the config file''s policy]')
            [CompletionResult]::new('--allowed-signers', '--allowed-signers', [CompletionResultType]::ParameterName, 'OpenSSH allowed_signers file with the keys trusted to sign policies')
            [CompletionResult]::new('--key', '--key', [CompletionResultType]::ParameterName, 'A single trusted public key (.pub); wins over allowed_signers')
            [CompletionResult]::new('--signature', '--signature', [CompletionResultType]::ParameterName, 'The detached signature [default: POLICY.sig]')
            [CompletionResult]::new('--revocation-list', '--revocation-list', [CompletionResultType]::ParameterName, 'Fingerprints of revoked keys, one a line [default: the policy''s revocation_list]')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'Log in as this user (a user in HOST or the inventory wins)')
            [CompletionResult]::new('--port', '--port', [CompletionResultType]::ParameterName, 'SSH port (a port in HOST or the inventory wins)')
            [CompletionResult]::new('--identity', '--identity', [CompletionResultType]::ParameterName, 'Private key to authenticate with')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'An ssh option, as for `ssh -o` (repeatable)')
            [CompletionResult]::new('--ssh-option', '--ssh-option', [CompletionResultType]::ParameterName, 'An ssh option, as for `ssh -o` (repeatable)')
            [CompletionResult]::new('--ssh-config', '--ssh-config', [CompletionResultType]::ParameterName, 'Use this ssh_config instead of ~/.ssh/config and /etc/ssh/ssh_config')
            [CompletionResult]::new('--host-key-policy', '--host-key-policy', [CompletionResultType]::ParameterName, 'strict: the host key must be known; accept-new: trust a first-seen key. A changed key is always refused [default: the policy''s, else strict]')
            [CompletionResult]::new('--known-hosts', '--known-hosts', [CompletionResultType]::ParameterName, 'known_hosts file to check host keys against')
            [CompletionResult]::new('--connect-timeout', '--connect-timeout', [CompletionResultType]::ParameterName, 'Seconds to wait for a connection [default: the policy''s, else 10]')
            [CompletionResult]::new('--probe-timeout', '--probe-timeout', [CompletionResultType]::ParameterName, 'Seconds the whole probe may take on one host [default: the policy''s, else 300]')
            [CompletionResult]::new('--concurrency', '--concurrency', [CompletionResultType]::ParameterName, 'Hosts scanned at once [default: the policy''s, else 16]')
            [CompletionResult]::new('--max-output', '--max-output', [CompletionResultType]::ParameterName, 'Most bytes one host may send back before it is cut off')
            [CompletionResult]::new('--max-hosts', '--max-hosts', [CompletionResultType]::ParameterName, 'Most hosts this pass claims [default: the policy''s max_hosts_per_run, else no cap]')
            [CompletionResult]::new('--lease', '--lease', [CompletionResultType]::ParameterName, 'How long a claim holds a host before another run may take it over, such as 30m [default: the probe timeout for each round of --concurrency hosts, plus one]')
            [CompletionResult]::new('--fail-on', '--fail-on', [CompletionResultType]::ParameterName, 'Lowest severity of a failure that makes the exit code 1')
            [CompletionResult]::new('--waivers', '--waivers', [CompletionResultType]::ParameterName, 'Accept the failures these waivers name (repeatable), as `scan --waivers`')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colors (auto: only on a terminal, and never when NO_COLOR is set)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format [default: table on a terminal, json otherwise]')
            [CompletionResult]::new('--state', '--state', [CompletionResultType]::ParameterName, 'State file, or a postgres:// URL [default: <state dir>/plumb/state.db]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: <config dir>/plumb/config.yaml]')
            [CompletionResult]::new('--allow-unsigned-policy', '--allow-unsigned-policy', [CompletionResultType]::ParameterName, 'Use a policy whose signature does not verify (development only; warns). For `schedule run-once`, also run without any policy')
            [CompletionResult]::new('--sudo', '--sudo', [CompletionResultType]::ParameterName, 'Run the probe through `sudo -n` on the host')
            [CompletionResult]::new('--allow-errors', '--allow-errors', [CompletionResultType]::ParameterName, 'Exit 0/1 even when rules could not be assessed')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only print errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only print errors on stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail on stderr (-v: info, -vv: debug with the time since start, -vvv: trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail on stderr (-v: info, -vv: debug with the time since start, -vvv: trace)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'plumb;schedule;help' {
            [CompletionResult]::new('run-once', 'run-once', [CompletionResultType]::ParameterValue, 'Claim the hosts that are due, scan them, reschedule them, and exit (for cron or a systemd timer; overlapping runs never scan a host twice)')
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'Per host: tier, score, interval, next scan, how overdue, maintenance and backoff')
            [CompletionResult]::new('maintenance', 'maintenance', [CompletionResultType]::ParameterValue, 'Keep a host out of scheduled scans until a time, for a while, or no longer')
            [CompletionResult]::new('cron', 'cron', [CompletionResultType]::ParameterValue, 'Print a crontab line and a systemd service and timer that run `run-once` with these options')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'plumb;schedule;help;run-once' {
            break
        }
        'plumb;schedule;help;status' {
            break
        }
        'plumb;schedule;help;maintenance' {
            break
        }
        'plumb;schedule;help;cron' {
            break
        }
        'plumb;schedule;help;help' {
            break
        }
        'plumb;drift' {
            [CompletionResult]::new('--since', '--since', [CompletionResultType]::ParameterName, 'Net change of each rule from TIME until now, with its flaps [fleet default: 1d]')
            [CompletionResult]::new('--at', '--at', [CompletionResultType]::ParameterName, 'The host''s state at TIME, rebuilt from the change log (with --against: both hosts then)')
            [CompletionResult]::new('--scan', '--scan', [CompletionResultType]::ParameterName, 'A scan by id or unique prefix; give it twice to compare scan against scan')
            [CompletionResult]::new('--against', '--against', [CompletionResultType]::ParameterName, 'Compare HOST against HOST2 (now, or --at TIME): every rule whose status or evidence differs')
            [CompletionResult]::new('--fail-on-regression', '--fail-on-regression', [CompletionResultType]::ParameterName, 'Exit 1 when a regression at or above SEVERITY is present [no value: low]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colors (auto: only on a terminal, and never when NO_COLOR is set)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format [default: table on a terminal, json otherwise]')
            [CompletionResult]::new('--state', '--state', [CompletionResultType]::ParameterName, 'State file, or a postgres:// URL [default: <state dir>/plumb/state.db]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: <config dir>/plumb/config.yaml]')
            [CompletionResult]::new('--all', '--all', [CompletionResultType]::ParameterName, 'Regressions across every host, grouped by rule')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only print errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only print errors on stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail on stderr (-v: info, -vv: debug with the time since start, -vvv: trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail on stderr (-v: info, -vv: debug with the time since start, -vvv: trace)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'plumb;rules' {
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colors (auto: only on a terminal, and never when NO_COLOR is set)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format [default: table on a terminal, json otherwise]')
            [CompletionResult]::new('--state', '--state', [CompletionResultType]::ParameterName, 'State file, or a postgres:// URL [default: <state dir>/plumb/state.db]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: <config dir>/plumb/config.yaml]')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only print errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only print errors on stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail on stderr (-v: info, -vv: debug with the time since start, -vvv: trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail on stderr (-v: info, -vv: debug with the time since start, -vvv: trace)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'The loaded rules: id, severity, profiles, tags and title (json: also references, platforms, methods and where each is defined)')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'One rule in full: texts, severity, tags, profiles, references, notes, platforms, vars, its checks as written, remediation and where it is defined')
            [CompletionResult]::new('check', 'check', [CompletionResultType]::ParameterValue, 'Validate rule files without scanning, and lint them for missing remediation or references')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'plumb;rules;list' {
            [CompletionResult]::new('--rules', '--rules', [CompletionResultType]::ParameterName, 'Rule files or directories (replaces the embedded default pack; repeatable)')
            [CompletionResult]::new('--var', '--var', [CompletionResultType]::ParameterName, 'Set a rule variable (repeatable)')
            [CompletionResult]::new('--vars-file', '--vars-file', [CompletionResultType]::ParameterName, 'Rule variables from a YAML file: a mapping of names to values, or Kensa''s defaults file (`variables:`). Repeatable, later files win; --var, inventory and policy vars win over it')
            [CompletionResult]::new('--rules-dialect', '--rules-dialect', [CompletionResultType]::ParameterName, 'The format rule files are written in: auto reads a file with a Kensa-only key (category, transactional, depends_on, ...) as Kensa''s and any other as plumb''s')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Only rules in this profile, such as cis_l1_server (repeatable: rules in any of them)')
            [CompletionResult]::new('--tag', '--tag', [CompletionResultType]::ParameterName, 'Only rules with one of these tags (repeatable)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colors (auto: only on a terminal, and never when NO_COLOR is set)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format [default: table on a terminal, json otherwise]')
            [CompletionResult]::new('--state', '--state', [CompletionResultType]::ParameterName, 'State file, or a postgres:// URL [default: <state dir>/plumb/state.db]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: <config dir>/plumb/config.yaml]')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only print errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only print errors on stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail on stderr (-v: info, -vv: debug with the time since start, -vvv: trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail on stderr (-v: info, -vv: debug with the time since start, -vvv: trace)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'plumb;rules;show' {
            [CompletionResult]::new('--rules', '--rules', [CompletionResultType]::ParameterName, 'Rule files or directories (replaces the embedded default pack; repeatable)')
            [CompletionResult]::new('--var', '--var', [CompletionResultType]::ParameterName, 'Set a rule variable (repeatable)')
            [CompletionResult]::new('--vars-file', '--vars-file', [CompletionResultType]::ParameterName, 'Rule variables from a YAML file: a mapping of names to values, or Kensa''s defaults file (`variables:`). Repeatable, later files win; --var, inventory and policy vars win over it')
            [CompletionResult]::new('--rules-dialect', '--rules-dialect', [CompletionResultType]::ParameterName, 'The format rule files are written in: auto reads a file with a Kensa-only key (category, transactional, depends_on, ...) as Kensa''s and any other as plumb''s')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colors (auto: only on a terminal, and never when NO_COLOR is set)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format [default: table on a terminal, json otherwise]')
            [CompletionResult]::new('--state', '--state', [CompletionResultType]::ParameterName, 'State file, or a postgres:// URL [default: <state dir>/plumb/state.db]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: <config dir>/plumb/config.yaml]')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only print errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only print errors on stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail on stderr (-v: info, -vv: debug with the time since start, -vvv: trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail on stderr (-v: info, -vv: debug with the time since start, -vvv: trace)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'plumb;rules;check' {
            [CompletionResult]::new('--rules', '--rules', [CompletionResultType]::ParameterName, 'Rule files or directories (replaces the embedded default pack; repeatable)')
            [CompletionResult]::new('--var', '--var', [CompletionResultType]::ParameterName, 'Set a rule variable (repeatable)')
            [CompletionResult]::new('--vars-file', '--vars-file', [CompletionResultType]::ParameterName, 'Rule variables from a YAML file: a mapping of names to values, or Kensa''s defaults file (`variables:`). Repeatable, later files win; --var, inventory and policy vars win over it')
            [CompletionResult]::new('--rules-dialect', '--rules-dialect', [CompletionResultType]::ParameterName, 'The format rule files are written in: auto reads a file with a Kensa-only key (category, transactional, depends_on, ...) as Kensa''s and any other as plumb''s')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colors (auto: only on a terminal, and never when NO_COLOR is set)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format [default: table on a terminal, json otherwise]')
            [CompletionResult]::new('--state', '--state', [CompletionResultType]::ParameterName, 'State file, or a postgres:// URL [default: <state dir>/plumb/state.db]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: <config dir>/plumb/config.yaml]')
            [CompletionResult]::new('--strict', '--strict', [CompletionResultType]::ParameterName, 'Exit 1 when a rule has a lint warning')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only print errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only print errors on stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail on stderr (-v: info, -vv: debug with the time since start, -vvv: trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail on stderr (-v: info, -vv: debug with the time since start, -vvv: trace)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'plumb;rules;help' {
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'The loaded rules: id, severity, profiles, tags and title (json: also references, platforms, methods and where each is defined)')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'One rule in full: texts, severity, tags, profiles, references, notes, platforms, vars, its checks as written, remediation and where it is defined')
            [CompletionResult]::new('check', 'check', [CompletionResultType]::ParameterValue, 'Validate rule files without scanning, and lint them for missing remediation or references')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'plumb;rules;help;list' {
            break
        }
        'plumb;rules;help;show' {
            break
        }
        'plumb;rules;help;check' {
            break
        }
        'plumb;rules;help;help' {
            break
        }
        'plumb;verify-policy' {
            [CompletionResult]::new('--allowed-signers', '--allowed-signers', [CompletionResultType]::ParameterName, 'OpenSSH allowed_signers file with the keys trusted to sign policies')
            [CompletionResult]::new('--key', '--key', [CompletionResultType]::ParameterName, 'A single trusted public key (.pub); wins over allowed_signers')
            [CompletionResult]::new('--signature', '--signature', [CompletionResultType]::ParameterName, 'The detached signature [default: POLICY.sig]')
            [CompletionResult]::new('--revocation-list', '--revocation-list', [CompletionResultType]::ParameterName, 'Fingerprints of revoked keys, one a line [default: the policy''s revocation_list]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colors (auto: only on a terminal, and never when NO_COLOR is set)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format [default: table on a terminal, json otherwise]')
            [CompletionResult]::new('--state', '--state', [CompletionResultType]::ParameterName, 'State file, or a postgres:// URL [default: <state dir>/plumb/state.db]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: <config dir>/plumb/config.yaml]')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only print errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only print errors on stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail on stderr (-v: info, -vv: debug with the time since start, -vvv: trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail on stderr (-v: info, -vv: debug with the time since start, -vvv: trace)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'plumb;generate' {
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colors (auto: only on a terminal, and never when NO_COLOR is set)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format [default: table on a terminal, json otherwise]')
            [CompletionResult]::new('--state', '--state', [CompletionResultType]::ParameterName, 'State file, or a postgres:// URL [default: <state dir>/plumb/state.db]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: <config dir>/plumb/config.yaml]')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only print errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only print errors on stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail on stderr (-v: info, -vv: debug with the time since start, -vvv: trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail on stderr (-v: info, -vv: debug with the time since start, -vvv: trace)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('man', 'man', [CompletionResultType]::ParameterValue, 'Write the man pages (plumb.1 and one per subcommand) into DIR, for example /usr/local/share/man/man1')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Write the shell completions (bash, zsh, fish, elvish, powershell) into DIR')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'plumb;generate;man' {
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colors (auto: only on a terminal, and never when NO_COLOR is set)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format [default: table on a terminal, json otherwise]')
            [CompletionResult]::new('--state', '--state', [CompletionResultType]::ParameterName, 'State file, or a postgres:// URL [default: <state dir>/plumb/state.db]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: <config dir>/plumb/config.yaml]')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only print errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only print errors on stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail on stderr (-v: info, -vv: debug with the time since start, -vvv: trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail on stderr (-v: info, -vv: debug with the time since start, -vvv: trace)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'plumb;generate;completions' {
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colors (auto: only on a terminal, and never when NO_COLOR is set)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format [default: table on a terminal, json otherwise]')
            [CompletionResult]::new('--state', '--state', [CompletionResultType]::ParameterName, 'State file, or a postgres:// URL [default: <state dir>/plumb/state.db]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file [default: <config dir>/plumb/config.yaml]')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only print errors on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Only print errors on stderr')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail on stderr (-v: info, -vv: debug with the time since start, -vvv: trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail on stderr (-v: info, -vv: debug with the time since start, -vvv: trace)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'plumb;generate;help' {
            [CompletionResult]::new('man', 'man', [CompletionResultType]::ParameterValue, 'Write the man pages (plumb.1 and one per subcommand) into DIR, for example /usr/local/share/man/man1')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Write the shell completions (bash, zsh, fish, elvish, powershell) into DIR')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'plumb;generate;help;man' {
            break
        }
        'plumb;generate;help;completions' {
            break
        }
        'plumb;generate;help;help' {
            break
        }
        'plumb;help' {
            [CompletionResult]::new('scan', 'scan', [CompletionResultType]::ParameterValue, 'Check hosts against rules and report (and store) the results')
            [CompletionResult]::new('state', 'state', [CompletionResultType]::ParameterValue, 'Inspect, verify, prune, migrate and copy the state (a file, or a PostgreSQL database)')
            [CompletionResult]::new('schedule', 'schedule', [CompletionResultType]::ParameterValue, 'Scheduled scans without a daemon: `run-once` for cron or a systemd timer, status, maintenance')
            [CompletionResult]::new('drift', 'drift', [CompletionResultType]::ParameterValue, 'What changed: between scans, since a time, at a time, host against host, or across the fleet')
            [CompletionResult]::new('rules', 'rules', [CompletionResultType]::ParameterValue, 'The rule pack without scanning: list, show one rule, validate and lint rule files')
            [CompletionResult]::new('verify-policy', 'verify-policy', [CompletionResultType]::ParameterValue, 'Check a scan policy''s signature, signer, revocation, schema, clamps and pins')
            [CompletionResult]::new('generate', 'generate', [CompletionResultType]::ParameterValue, 'Write the man pages or shell completions into a directory, to install them')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'plumb;help;scan' {
            break
        }
        'plumb;help;state' {
            [CompletionResult]::new('path', 'path', [CompletionResultType]::ParameterValue, 'Print the state file''s path')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Schema version, size, row counts and each host''s last scan')
            [CompletionResult]::new('hosts', 'hosts', [CompletionResultType]::ParameterValue, 'Every host with its score, compliance tier and failing rules by severity')
            [CompletionResult]::new('scans', 'scans', [CompletionResultType]::ParameterValue, 'Recorded scans, newest first')
            [CompletionResult]::new('history', 'history', [CompletionResultType]::ParameterValue, 'A host''s change log, newest first')
            [CompletionResult]::new('check', 'check', [CompletionResultType]::ParameterValue, 'Integrity check, foreign keys and the change log''s hash chain (exit 1 if unsound)')
            [CompletionResult]::new('migrate', 'migrate', [CompletionResultType]::ParameterValue, 'Apply pending schema migrations, including ones not applied automatically')
            [CompletionResult]::new('prune', 'prune', [CompletionResultType]::ParameterValue, 'Drop scans and change-log rows older than DURATION (current state, each host''s last scan and the scan with the highest policy version are kept)')
            [CompletionResult]::new('vacuum', 'vacuum', [CompletionResultType]::ParameterValue, 'Rebuild the file to reclaim space (a state file only)')
            [CompletionResult]::new('copy', 'copy', [CompletionResultType]::ParameterValue, 'Copy a whole state into an empty one: a file into PostgreSQL, or a database back to a file (either side a path or a postgres:// URL; --state is not used)')
            [CompletionResult]::new('export', 'export', [CompletionResultType]::ParameterValue, 'Write what a consumer has not acknowledged: changed results in full, unchanged hosts as references, removals (JSON, or NDJSON with --format ndjson). Moves no cursor')
            [CompletionResult]::new('ack', 'ack', [CompletionResultType]::ParameterValue, 'Acknowledge an exported batch after uploading it: the consumer''s cursor moves to it')
            [CompletionResult]::new('report', 'report', [CompletionResultType]::ParameterValue, 'The fleet''s HTML report (--format html, the default): hosts by score, findings, rule texts and trends, in one self-contained page')
            [CompletionResult]::new('consumers', 'consumers', [CompletionResultType]::ParameterValue, 'Each export consumer''s cursor, last acknowledgement and whether a full sync is due')
            break
        }
        'plumb;help;state;path' {
            break
        }
        'plumb;help;state;show' {
            break
        }
        'plumb;help;state;hosts' {
            break
        }
        'plumb;help;state;scans' {
            break
        }
        'plumb;help;state;history' {
            break
        }
        'plumb;help;state;check' {
            break
        }
        'plumb;help;state;migrate' {
            break
        }
        'plumb;help;state;prune' {
            break
        }
        'plumb;help;state;vacuum' {
            break
        }
        'plumb;help;state;copy' {
            break
        }
        'plumb;help;state;export' {
            break
        }
        'plumb;help;state;ack' {
            break
        }
        'plumb;help;state;report' {
            break
        }
        'plumb;help;state;consumers' {
            break
        }
        'plumb;help;schedule' {
            [CompletionResult]::new('run-once', 'run-once', [CompletionResultType]::ParameterValue, 'Claim the hosts that are due, scan them, reschedule them, and exit (for cron or a systemd timer; overlapping runs never scan a host twice)')
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'Per host: tier, score, interval, next scan, how overdue, maintenance and backoff')
            [CompletionResult]::new('maintenance', 'maintenance', [CompletionResultType]::ParameterValue, 'Keep a host out of scheduled scans until a time, for a while, or no longer')
            [CompletionResult]::new('cron', 'cron', [CompletionResultType]::ParameterValue, 'Print a crontab line and a systemd service and timer that run `run-once` with these options')
            break
        }
        'plumb;help;schedule;run-once' {
            break
        }
        'plumb;help;schedule;status' {
            break
        }
        'plumb;help;schedule;maintenance' {
            break
        }
        'plumb;help;schedule;cron' {
            break
        }
        'plumb;help;drift' {
            break
        }
        'plumb;help;rules' {
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'The loaded rules: id, severity, profiles, tags and title (json: also references, platforms, methods and where each is defined)')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'One rule in full: texts, severity, tags, profiles, references, notes, platforms, vars, its checks as written, remediation and where it is defined')
            [CompletionResult]::new('check', 'check', [CompletionResultType]::ParameterValue, 'Validate rule files without scanning, and lint them for missing remediation or references')
            break
        }
        'plumb;help;rules;list' {
            break
        }
        'plumb;help;rules;show' {
            break
        }
        'plumb;help;rules;check' {
            break
        }
        'plumb;help;verify-policy' {
            break
        }
        'plumb;help;generate' {
            [CompletionResult]::new('man', 'man', [CompletionResultType]::ParameterValue, 'Write the man pages (plumb.1 and one per subcommand) into DIR, for example /usr/local/share/man/man1')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Write the shell completions (bash, zsh, fish, elvish, powershell) into DIR')
            break
        }
        'plumb;help;generate;man' {
            break
        }
        'plumb;help;generate;completions' {
            break
        }
        'plumb;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
