# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_plumb_global_optspecs
    string join \n color= q/quiet v/verbose format= h/help V/version
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
markdown\t''"
complete -c plumb -n "__fish_plumb_needs_command" -s q -l quiet -d 'Only print errors on stderr'
complete -c plumb -n "__fish_plumb_needs_command" -s v -l verbose -d 'More detail on stderr (-v: info, -vv: debug, -vvv: trace)'
complete -c plumb -n "__fish_plumb_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c plumb -n "__fish_plumb_needs_command" -s V -l version -d 'Print version'
complete -c plumb -n "__fish_plumb_needs_command" -f -a "scan" -d 'Check hosts against rules and report (and store) the results'
complete -c plumb -n "__fish_plumb_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c plumb -n "__fish_plumb_using_subcommand scan" -l rules -d 'Rule files or directories (replaces the embedded default pack; repeatable)' -r -F
complete -c plumb -n "__fish_plumb_using_subcommand scan" -l root -d 'Scan a directory tree (image, chroot, container filesystem) instead of the live system' -r -F
complete -c plumb -n "__fish_plumb_using_subcommand scan" -l var -d 'Set a rule variable (repeatable)' -r
complete -c plumb -n "__fish_plumb_using_subcommand scan" -l rule -d 'Only these rules (repeatable)' -r
complete -c plumb -n "__fish_plumb_using_subcommand scan" -l tag -d 'Only rules with one of these tags (repeatable)' -r
complete -c plumb -n "__fish_plumb_using_subcommand scan" -l min-severity -d 'Only rules at or above this severity' -r -f -a "low\t''
medium\t''
high\t''
critical\t''"
complete -c plumb -n "__fish_plumb_using_subcommand scan" -l exclude -d 'Leave these rules out (repeatable)' -r
complete -c plumb -n "__fish_plumb_using_subcommand scan" -l fail-on -d 'Exit 1 when a rule at or above this severity fails (`never`: always exit 0 after a scan)' -r -f -a "low\t''
medium\t''
high\t''
critical\t''
never\t''"
complete -c plumb -n "__fish_plumb_using_subcommand scan" -s o -l output -d 'Write the report to FILE (atomically) instead of stdout' -r -F
complete -c plumb -n "__fish_plumb_using_subcommand scan" -l evidence-max-bytes -d 'Evidence cap per rule in bytes (at most 262144)' -r
complete -c plumb -n "__fish_plumb_using_subcommand scan" -l host-name -d 'Name the scanned host in reports (default: the hostname, or the --root directory name)' -r
complete -c plumb -n "__fish_plumb_using_subcommand scan" -l color -d 'When to use colors (auto: only on a terminal, and never when NO_COLOR is set)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c plumb -n "__fish_plumb_using_subcommand scan" -l format -d 'Output format [default: table on a terminal, json otherwise]' -r -f -a "table\t''
json\t''
ndjson\t''
junit\t''
sarif\t''
markdown\t''"
complete -c plumb -n "__fish_plumb_using_subcommand scan" -s q -l quiet -d 'Only print errors on stderr'
complete -c plumb -n "__fish_plumb_using_subcommand scan" -s v -l verbose -d 'More detail on stderr (-v: info, -vv: debug, -vvv: trace)'
complete -c plumb -n "__fish_plumb_using_subcommand scan" -s h -l help -d 'Print help'
complete -c plumb -n "__fish_plumb_using_subcommand scan" -s V -l version -d 'Print version'
complete -c plumb -n "__fish_plumb_using_subcommand help; and not __fish_seen_subcommand_from scan help" -f -a "scan" -d 'Check hosts against rules and report (and store) the results'
complete -c plumb -n "__fish_plumb_using_subcommand help; and not __fish_seen_subcommand_from scan help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
