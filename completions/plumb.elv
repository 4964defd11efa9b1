
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
            cand -q 'Only print errors on stderr'
            cand --quiet 'Only print errors on stderr'
            cand -v 'More detail on stderr (-v: info, -vv: debug, -vvv: trace)'
            cand --verbose 'More detail on stderr (-v: info, -vv: debug, -vvv: trace)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand scan 'Check hosts against rules and report (and store) the results'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'plumb;scan'= {
            cand --rules 'Rule files or directories (replaces the embedded default pack; repeatable)'
            cand --root 'Scan a directory tree (image, chroot, container filesystem) instead of the live system'
            cand --var 'Set a rule variable (repeatable)'
            cand --rule 'Only these rules (repeatable)'
            cand --tag 'Only rules with one of these tags (repeatable)'
            cand --min-severity 'Only rules at or above this severity'
            cand --exclude 'Leave these rules out (repeatable)'
            cand --fail-on 'Exit 1 when a rule at or above this severity fails (`never`: always exit 0 after a scan)'
            cand -o 'Write the report to FILE (atomically) instead of stdout'
            cand --output 'Write the report to FILE (atomically) instead of stdout'
            cand --evidence-max-bytes 'Evidence cap per rule in bytes (at most 262144)'
            cand --host-name 'Name the scanned host in reports (default: the hostname, or the --root directory name)'
            cand --color 'When to use colors (auto: only on a terminal, and never when NO_COLOR is set)'
            cand --format 'Output format [default: table on a terminal, json otherwise]'
            cand -q 'Only print errors on stderr'
            cand --quiet 'Only print errors on stderr'
            cand -v 'More detail on stderr (-v: info, -vv: debug, -vvv: trace)'
            cand --verbose 'More detail on stderr (-v: info, -vv: debug, -vvv: trace)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'plumb;help'= {
            cand scan 'Check hosts against rules and report (and store) the results'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'plumb;help;scan'= {
        }
        &'plumb;help;help'= {
        }
    ]
    $completions[$command]
}
