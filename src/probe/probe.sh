# plumb probe prelude: gathers facts and prints them as framed records on stdout.
# Record: NONCE SP TYPE SP KEYLEN SP BODYLEN LF KEY BODY LF (lengths in bytes), so content that
# contains the delimiter is only ever body bytes. The generator appends the calls after this.
export LC_ALL=C
umask 077
NL='
'
TAB='	'

# Output of the run: fail closed with an X record when the basics are missing.
_missing=
for _t in cat head wc stat readlink grep mktemp; do
    command -v "$_t" >/dev/null 2>&1 || _missing="$_missing $_t"
done
_N=0
_rec() { # TYPE KEY BODYLEN; the caller writes the body, then _end_rec
    printf '%s %s %s %s\n%s' "$NONCE" "$1" "${#2}" "$3" "$2"
    _N=$((_N + 1))
}
_end_rec() { printf '\n'; }
emits() { # TYPE KEY STRING
    _rec "$1" "$2" "${#3}"
    printf '%s' "$3"
    _end_rec
}
if [ -n "$_missing" ]; then
    emits X "" "the target lacks required tools:$_missing"
    emits E "" "$_N"
    exit 0
fi
T=$(mktemp -d 2>/dev/null) || T=
if [ -z "$T" ] || [ ! -d "$T" ]; then
    emits X "" "cannot create a temporary directory (mktemp -d failed)"
    emits E "" "$_N"
    exit 0
fi
trap 'rm -rf "$T"' EXIT
trap 'rm -rf "$T"; exit 1' HUP INT TERM
_HAVE_TIMEOUT=
command -v timeout >/dev/null 2>&1 && _HAVE_TIMEOUT=1

_size() { # FILE -> _S
    _S=$(wc -c < "$1")
    _S=$((_S + 0))
}
emitf() { # TYPE KEY PREFIX FILE: body is PREFIX then the file's bytes
    _size "$4"
    _rec "$1" "$2" $((${#3} + _S))
    printf '%s' "$3"
    cat "$4"
    _end_rec
}

# Resolve a target path to a host path under ROOT; symlinks (absolute ones too) resolve inside
# ROOT, as for the scanned system itself. $2 = 1 follows a symlink in the last component.
# Past the hop limit (a loop, or a chain built to end outside ROOT) it fails with RP empty:
# what is left would resolve from the host's /. Reads then trust RP to hold no symlink, which
# a tree changed during the scan could break (the native executor opens with O_NOFOLLOW).
rp() {
    if [ -z "$ROOT" ]; then RP=$1; return; fi
    _rest=$1 _done= _hops=0
    while :; do
        while :; do case $_rest in /*) _rest=${_rest#/} ;; *) break ;; esac; done
        [ -z "$_rest" ] && break
        _c=${_rest%%/*}
        case $_rest in */*) _rest=${_rest#*/} ;; *) _rest= ;; esac
        case $_c in
            .) continue ;;
            ..) _done=${_done%/*}; continue ;;
        esac
        if { [ -n "$_rest" ] || [ "$2" = 1 ]; } && [ -L "$ROOT$_done/$_c" ]; then
            [ "$_hops" -lt "$MAX_HOPS" ] || { RP=; return 1; }
            _hops=$((_hops + 1))
            _l=$(readlink -- "$ROOT$_done/$_c")
            case $_l in /*) _done= ;; esac
            _rest=$_l/$_rest
            continue
        fi
        _done=$_done/$_c
    done
    RP=$ROOT$_done
}

# Whether a path that `[ -e ]` does not see is hidden by a directory this user may not search
# (the kernel's EACCES) rather than missing: its nearest existing ancestor is such a directory.
_denied() { # HOSTPATH
    _a=${1%/*}
    while [ -n "$_a" ] && [ ! -e "$_a" ]; do _a=${_a%/*}; done
    [ -n "$_a" ] && [ -d "$_a" ] && [ ! -x "$_a" ]
}

# File content record body: M missing, U unreadable, L<size> too large, O too many symlinks
# under ROOT, T<bytes>.
_filebody() { # TYPE TARGET
    rp "$2" 1 || { emits "$1" "$2" O; return; }
    if [ ! -e "$RP" ]; then
        if _denied "$RP"; then emits "$1" "$2" U; else emits "$1" "$2" M; fi
        return
    fi
    if [ ! -f "$RP" ] || [ ! -r "$RP" ] || ! head -c $((FILE_CAP + 1)) -- "$RP" > "$T/f" 2>/dev/null; then
        emits "$1" "$2" U
        return
    fi
    _size "$T/f"
    if [ "$_S" -gt "$FILE_CAP" ]; then
        _size "$RP"
        emits "$1" "$2" "L$_S"
        return
    fi
    emitf "$1" "$2" T "$T/f"
}
# Files are queued and read in one batch (one wc and one cat for all of them); a path with a
# newline, or a file that changes size between wc and cat, takes the one-by-one path instead.
_FQ= _FARGS= _FN=0
_fqueue() { # TYPE TARGET
    rp "$2" 1 || { emits "$1" "$2" O; return; }
    if [ ! -e "$RP" ]; then
        if _denied "$RP"; then emits "$1" "$2" U; else emits "$1" "$2" M; fi
        return
    fi
    if [ ! -f "$RP" ] || [ ! -r "$RP" ]; then emits "$1" "$2" U; return; fi
    case $2$RP in *"$NL"*|*"$TAB"*) _filebody "$1" "$2"; return ;; esac
    _FQ=$_FQ$1$TAB$2$NL
    _FARGS=$_FARGS$RP$NL
    _FN=$((_FN + 1))
}
ffile() { _fqueue F "$1"; }
_pop() { # pops the first line of the variable named $1 into _H
    eval "_H=\${$1%%\"\$NL\"*}; $1=\${$1#*\"\$NL\"}"
}
_slow_files() { # the queued items in $1 (variable name), one by one
    while [ -n "$(eval "printf %s \"\$$1\"")" ]; do
        _pop "$1"; _filebody "${_H%%"$TAB"*}" "${_H#*"$TAB"}"
    done
}
fflush() {
    [ "$_FN" -gt 0 ] || return 0
    _oifs=$IFS; IFS=$NL; set -f; set -- $_FARGS; set +f; IFS=$_oifs
    if ! wc -c -- "$@" > "$T/sz" 2>/dev/null; then
        _slow_files _FQ; _FN=0 _FARGS=; return
    fi
    _SZ= _n=0
    while read -r _s _rest; do
        _n=$((_n + 1))
        [ "$_n" -le "$_FN" ] || break
        _SZ=$_SZ$_s$NL
    done < "$T/sz"
    _CARGS= _INDEX= _TOTAL=0 _BQ=
    # Walk the queue (split once) while consuming the sizes as positional parameters.
    _oifs=$IFS; IFS=$NL; set -f
    # shellcheck disable=SC2086
    set -- $_SZ
    for _it in $_FQ; do
        IFS=$_oifs
        _s=${1-}
        [ $# -gt 0 ] && shift
        _ty=${_it%%"$TAB"*} _tg=${_it#*"$TAB"}
        case $_s in
            ''|*[!0-9]*) _filebody "$_ty" "$_tg" ;;
            *)
                if [ "$_s" -gt "$FILE_CAP" ]; then
                    emits "$_ty" "$_tg" "L$_s"
                else
                    rp "$_tg" 1
                    _CARGS=$_CARGS$RP$NL
                    _INDEX=$_INDEX$_ty' '$_s' '${#_tg}$NL$_tg
                    _TOTAL=$((_TOTAL + _s))
                    _BQ=$_BQ$_it$NL
                fi
                ;;
        esac
    done
    IFS=$_oifs; set +f
    _FQ= _FN=0 _FARGS=
    [ -n "$_CARGS" ] || return 0
    _oifs=$IFS; IFS=$NL; set -f; set -- $_CARGS; set +f; IFS=$_oifs
    cat -- "$@" > "$T/all" 2>/dev/null
    _size "$T/all"
    if [ "$_S" -eq "$_TOTAL" ]; then
        _rec B "$_INDEX" "$_S"
        cat "$T/all"
        _end_rec
    else
        _slow_files _BQ
    fi
}

# Stats are queued and answered with one `stat` call for every existing path. An S record body
# holds one entry per match: KIND MODE UID GID PATHLEN LINKLEN LF PATH LINK.
_SQ=
fstat() { _SQ=$_SQ$1$NL; }
_sentries() { # PATTERN: appends "KIND<TAB>NEEDSTAT<TAB>TARGET<TAB>LINK" lines for its matches to _SE
    case $1 in
        *[*?[]*)
            _oifs=$IFS; IFS=
            for _g in $ROOT$1; do
                IFS=$_oifs
                # `.*` matches . and .. in some shells; a directory listing never holds them.
                case ${_g##*/} in .|..) continue ;; esac
                if [ -e "$_g" ] || [ -L "$_g" ]; then _sentry "${_g#"$ROOT"}"; fi
                IFS=
            done
            IFS=$_oifs
            ;;
        *) _sentry "$1" ;;
    esac
}
_sentry() { # TARGET
    rp "$1" 0 || return 0
    _lt=
    if [ -L "$RP" ]; then _k=l; _lt=$(readlink -- "$RP")
    elif [ -d "$RP" ]; then _k=d
    elif [ -f "$RP" ]; then _k=f
    elif [ -e "$RP" ]; then _k=o
    else return; fi
    rp "$1" 1
    # Entries travel in newline/tab separated lists; a name holding either is left out.
    case $RP$1$_lt in *"$NL"*|*"$TAB"*) return ;; esac
    _need=0
    if [ -e "$RP" ]; then _need=1 _SARGS=$_SARGS$RP$NL; fi
    _SE=$_SE$_k$TAB$_need$TAB$RP$TAB$1$TAB$_lt$NL
}
# The first directory PATTERN's expansion goes through that this user may not search (or list,
# before a glob component), level by level as paths.rs `denied_on_the_way`: Z record PATTERN
# with the directory as body.
_sdeny() { # PATTERN
    _pre= _left=$1
    while :; do
        while :; do case $_left in /*) _left=${_left#/} ;; *) break ;; esac; done
        [ -n "$_left" ] || return 0
        _dc=${_left%%/*}
        case $_left in */*) _left=${_left#*/} ;; *) _left= ;; esac
        _dneed=x
        case $_dc in *[*?[]*) _dneed=rx ;; esac
        case $_pre in
            '') _sdeny_dir / "$1" && return 0 ;;
            *[*?[]*)
                _oifs=$IFS; IFS=
                for _g in $ROOT$_pre; do
                    IFS=$_oifs
                    if [ -e "$_g" ] || [ -L "$_g" ]; then
                        _sdeny_dir "${_g#"$ROOT"}" "$1" && return 0
                    fi
                    IFS=
                done
                IFS=$_oifs
                ;;
            *) _sdeny_dir "$_pre" "$1" && return 0 ;;
        esac
        _pre=$_pre/$_dc
    done
}
_sdeny_dir() { # TARGET PATTERN: a Z record, and success, when TARGET is a directory lacking $_dneed
    rp "$1" 1 || return 1
    [ -d "$RP" ] || return 1
    if [ ! -x "$RP" ] || { [ "$_dneed" = rx ] && [ ! -r "$RP" ]; }; then
        emits Z "$2" "$1"
        return 0
    fi
    return 1
}

fstats() {
    [ -n "$_SQ" ] || return 0
    _SE= _SARGS=
    _oifs=$IFS; IFS=$NL; set -f
    for _p in $_SQ; do
        IFS=$_oifs; set +f
        _SE=$_SE'#'$TAB$_p$NL
        _sentries "$_p"
        _sdeny "$_p"
        IFS=$NL; set -f
    done
    IFS=$_oifs; set +f
    _MODES=
    if [ -n "$_SARGS" ]; then
        _oifs=$IFS; IFS=$NL; set -f; set -- $_SARGS; set +f; IFS=$_oifs
        _want=$#
        if stat -L -c '%a %u %g' -- "$@" > "$T/modes" 2>/dev/null; then
            _n=0
            while IFS= read -r _m; do _n=$((_n + 1)); _MODES=$_MODES$_m$NL; done < "$T/modes"
            [ "$_n" -eq "$_want" ] || _MODES=
        fi
    fi
    _pat= _sb= _started=0 _have_modes=0
    [ -n "$_MODES" ] && _have_modes=1
    # Walk the entries (split once) while consuming the modes as positional parameters.
    _oifs=$IFS; IFS=$NL; set -f
    # shellcheck disable=SC2086
    set -- $_MODES
    for _e in $_SE; do
        IFS=$_oifs
        case $_e in
            "#$TAB"*)
                [ "$_started" = 1 ] && emits S "$_pat" "$_sb"
                _pat=${_e#"#$TAB"} _sb= _started=1
                continue
                ;;
        esac
        _k=${_e%%"$TAB"*}; _e=${_e#*"$TAB"}
        _need=${_e%%"$TAB"*}; _e=${_e#*"$TAB"}
        _hp=${_e%%"$TAB"*}; _e=${_e#*"$TAB"}
        _tg=${_e%%"$TAB"*}; _lt=${_e#*"$TAB"}
        _m='- - -'
        if [ "$_need" = 1 ]; then
            if [ "$_have_modes" = 1 ] && [ $# -gt 0 ]; then _m=$1; shift
            else _m=$(stat -L -c '%a %u %g' -- "$_hp" 2>/dev/null) || _m='- - -'; fi
        fi
        _sb=$_sb$_k' '$_m' '${#_tg}' '${#_lt}$NL$_tg$_lt
    done
    IFS=$_oifs; set +f
    [ "$_started" = 1 ] && emits S "$_pat" "$_sb"
    _SQ=
}

# Home directories named in passwd: each one, and the dot files in it, is queued for fstats.
# The same selection as probe/homes.rs: field 6 of the first HOMES_CAP lines, absolute, printable
# ASCII without glob or escape characters, trailing slashes removed.
fhomes() {
    rp /etc/passwd 1 || return 0
    [ -f "$RP" ] && [ -r "$RP" ] || return 0
    _hn=0
    while IFS= read -r _l || [ -n "$_l" ]; do
        [ "$_hn" -lt "$HOMES_CAP" ] || break
        _hn=$((_hn + 1))
        _r=$_l _ok=1
        for _i in 1 2 3 4 5; do
            case $_r in *:*) _r=${_r#*:} ;; *) _ok=0 ;; esac
        done
        [ "$_ok" = 1 ] || continue
        _h=${_r%%:*}
        case $_h in /*) ;; *) continue ;; esac
        case $_h in *[![:print:]]*|*'*'*|*'?'*|*'['*|*'\'*) continue ;; esac
        while :; do case $_h in */) _h=${_h%/} ;; *) break ;; esac; done
        if [ -z "$_h" ]; then fstat /; fstat '/.*'; else fstat "$_h"; fstat "$_h/.*"; fi
    done < "$RP"
}

# Today as days since the epoch (Y record; -1 when the clock cannot be read).
fclock() {
    _d=$(date +%s 2>/dev/null)
    case $_d in ''|*[!0-9]*) emits Y "" -1 ;; *) emits Y "" $((_d / 86400)) ;; esac
}

# Module files under /lib/modules, one path a line, then the modules each kernel has built in
# (KERNEL/modules.builtin, as paths too) (M record; `-` when the tree is missing or find fails,
# e.g. on an unreadable directory). Symlinks inside are not followed.
fmodules() {
    rp /lib/modules 1 || { emits M "" -; return 0; }
    if [ -d "$RP" ] && find "$RP/" -type f -name '*.ko*' > "$T/km" 2>/dev/null; then
        for _b in "$RP"/*/modules.builtin; do
            if [ -f "$_b" ] && [ ! -h "$_b" ]; then cat "$_b" >> "$T/km" 2>/dev/null; fi
        done
        emitf M "" "" "$T/km"
    else
        emits M "" -
    fi
}

# A directory listing: D record (M, U when this user may not list or search it, or E then
# LEN:NAME for each matching regular file); each listed file's content is queued as a G record.
fdir() { # DIR PATTERN
    _key="$1
$2"
    rp "$1" 1
    if [ ! -d "$RP" ]; then
        if [ -n "$RP" ] && _denied "$RP"; then emits D "$_key" U; else emits D "$_key" M; fi
        return
    fi
    if [ ! -r "$RP" ] || [ ! -x "$RP" ]; then emits D "$_key" U; return; fi
    _dir=$RP _names=
    for _e in "$_dir"/* "$_dir"/.*; do
        _nm=${_e##*/}
        case $_nm in .|..) continue ;; esac
        [ -e "$_e" ] || [ -L "$_e" ] || continue
        case $_nm in .*) case $2 in .*) ;; *) continue ;; esac ;; esac
        # shellcheck disable=SC2254
        case $_nm in $2) ;; *) continue ;; esac
        _tp=${1%/}/$_nm
        # An entry whose links go past the hop limit is listed, so its error reaches the rule.
        if rp "$_tp" 1; then [ -f "$RP" ] || continue; fi
        _names=$_names${#_nm}:$_nm
        _fqueue G "$_tp"
    done
    emits D "$_key" "E$_names"
}

# Commands run side by side, each with a timeout and capped output, captured into files:
# `_start ID COMMAND TIMEOUT_SECONDS` runs one in the background and leaves $T/ID_o, $T/ID_e,
# $T/ID_rc, and $T/ID_to when it timed out. After `wait`, `_measure` sizes every captured file
# with one wc, `_cmd_rec` queues each record, and `_cat_flush` writes all queued records with
# one cat. Body of a command record: T (timed out) or R EXIT OUTLEN ERRLEN TRUNCATED LF OUT ERR.
_MQ=
_cap() { # BYTES FILE: the first BYTES of stdin go to FILE; the rest is drained, so the command
    # neither blocks nor dies of SIGPIPE (the native executor drains too). Only ever a
    # pipeline element (a subshell), so exec replaces nothing but that subshell.
    head -c "$1" > "$2"
    exec cat > /dev/null
}
_run_cmd() { # PREFIX COMMAND TIMEOUT_SECONDS
    if [ -n "$_HAVE_TIMEOUT" ]; then
        { { timeout -k 1 "$3" /bin/sh -c "$2" < /dev/null; echo $? > "$1_rc"; } 2>&1 1>&3 \
            | _cap "$ERR_CAP" "$1_e"; } 3>&1 | _cap $((OUT_CAP + 1)) "$1_o"
        read -r _rc < "$1_rc" 2>/dev/null
        [ "$_rc" = 124 ] && : > "$1_to"
    else
        # No timeout(1): a watchdog kills the command (its children may outlive it).
        { { /bin/sh -c "$2" < /dev/null & _cp=$!
            ( sleep "$3"; : > "$1_to"; kill -9 "$_cp" ) > /dev/null 2>&1 < /dev/null & _wp=$!
            wait "$_cp"; echo $? > "$1_rc"
            kill "$_wp" 2>/dev/null; } 2>&1 1>&3 \
            | _cap "$ERR_CAP" "$1_e"; } 3>&1 | _cap $((OUT_CAP + 1)) "$1_o"
    fi
}
# The words of os-release's ID and ID_LIKE values (" w1 w2 "), for commands only some
# platform families need; empty when unknown, and then every command runs. The same reading
# as probe/families.rs: the first readable file, lines trimmed of blanks, one pair of outer
# quotes dropped, and any word that is not a plain [a-z0-9._-] name makes it unknown.
_OSW=
_os_words() {
    _osf=
    for _cand in /etc/os-release /usr/lib/os-release; do
        rp "$_cand" 1
        if [ -f "$RP" ] && [ -r "$RP" ]; then _osf=$RP; break; fi
    done
    [ -n "$_osf" ] || return 0
    _w= _plain=1
    while IFS= read -r _l || [ -n "$_l" ]; do
        _l=${_l#"${_l%%[! $TAB]*}"}
        _l=${_l%"${_l##*[! $TAB]}"}
        case $_l in ''|'#'*) continue ;; *=*) ;; *) continue ;; esac
        _k=${_l%%=*} _v=${_l#*=}
        _k=${_k%"${_k##*[! $TAB]}"}
        case $_k in ID|ID_LIKE) ;; *) continue ;; esac
        _v=${_v#"${_v%%[! $TAB]*}"}
        case $_v in \"*\"|\'*\') _v=${_v#?}; _v=${_v%?} ;; esac
        _oifs=$IFS; IFS=" $TAB"; set -f
        for _x in $_v; do
            case $_x in *[!a-z0-9._-]*) _plain=0 ;; esac
            _w="$_w$_x "
        done
        IFS=$_oifs; set +f
    done < "$_osf"
    if [ "$_plain" = 1 ] && [ -n "$_w" ]; then _OSW=" $_w"; fi
}
_STARTED=' '
_start() { # ID COMMAND TIMEOUT_SECONDS [OS_WORD...]: runs in the background, unless the
    # host's os-release words are known and hold none of the OS_WORDs
    _id=$1 _run=$2 _secs=$3
    shift 3
    if [ $# -gt 0 ] && [ -n "$_OSW" ]; then
        _want=0
        for _x in "$@"; do case $_OSW in *" $_x "*) _want=1; break ;; esac; done
        [ "$_want" = 1 ] || return 0
    fi
    _STARTED="$_STARTED$_id "
    _MQ=$_MQ${_id}_o$NL${_id}_e$NL
    _run_cmd "$T/$_id" "$_run" "$_secs" &
}
_measure() { # sets _SZ_<name> for every file named in _MQ, with one wc
    [ -n "$_MQ" ] || return 0
    _oifs=$IFS; IFS=$NL; set -f
    # shellcheck disable=SC2086
    set -- $_MQ
    IFS=$_oifs; set +f
    _paths=
    for _nm in "$@"; do _paths=$_paths$T/$_nm$NL; done
    _oifs=$IFS; IFS=$NL; set -f
    # shellcheck disable=SC2086
    set -- $_paths
    IFS=$_oifs; set +f
    _i=0
    if wc -c -- "$@" > "$T/sz" 2>/dev/null; then
        while read -r _s _f; do
            case $_s in ''|*[!0-9]*) _i=0; break ;; esac
            _i=$((_i + 1))
            [ "$_i" -le $# ] || break
            eval "_S$_i=\$_s"
        done < "$T/sz"
    fi
    _n=0
    for _p in "$@"; do
        _n=$((_n + 1))
        # A short or odd wc answer: size the files one by one.
        if [ "$_i" -lt $# ]; then _size "$_p"; eval "_S$_n=\$_S"; fi
        eval "_SZ_${_p##*/}=\$_S$_n"
    done
}
printf '\n' > "$T/nl"
_CATQ=
_queue() { # TYPE KEY BODYLEN BODYPREFIX FILE...: the header now, the body files at _cat_flush
    _h=$T/h$_N
    { _rec "$1" "$2" "$3"; printf '%s' "$4"; } > "$_h"
    _CATQ=$_CATQ$_h$NL
    shift 4
    for _f in "$@"; do _CATQ=$_CATQ$_f$NL; done
    _CATQ=$_CATQ$T/nl$NL
}
_cat_flush() {
    [ -n "$_CATQ" ] || return 0
    _oifs=$IFS; IFS=$NL; set -f
    # shellcheck disable=SC2086
    set -- $_CATQ
    IFS=$_oifs; set +f
    cat -- "$@"
    _CATQ=
}
_cmd_rec() { # TYPE COMMAND ID: nothing when the command was not started
    case $_STARTED in *" $3 "*) ;; *) return 0 ;; esac
    _p=$T/$3
    if [ -e "$_p"_to ]; then emits "$1" "$2" T; return; fi
    _rc=
    read -r _rc < "$_p"_rc 2>/dev/null
    case $_rc in ''|*[!0-9]*) _rc=-1 ;; esac
    eval "_ol=\$_SZ_${3}_o _el=\$_SZ_${3}_e"
    _tr=0 _of=$_p"_o"
    if [ "$_ol" -gt "$OUT_CAP" ]; then
        _ol=$OUT_CAP _tr=1 _of=$_p"_oc"
        head -c "$OUT_CAP" "$_p"_o > "$_of"
    fi
    _h="R $_rc $_ol $_el $_tr
"
    _queue "$1" "$2" $((${#_h} + _ol + _el)) "$_h" "$_of" "$_p"_e
}
_file_rec() { # TYPE KEY NAME: a record whose body is the file $T/NAME
    eval "_fl=\$_SZ_$3"
    _queue "$1" "$2" "$_fl" "" "$T/$3"
}

# Package databases: P (dpkg/apk name lines), R (dpkg/apk refused: past the hop limit or over
# DB_CAP), Q (an rpm sqlite database), K (rpm -qa, run with the commands). `_pkgs_start`
# before `wait`, `_pkgs_rec` after `_measure`.
_PKGS=
_pkgdb() { # MANAGER TARGET NAME ERE: the database's lines matching ERE go to $T/NAME for a P
    # record; an R record (body O or L<size>, as a file's) when it cannot be read as a whole
    rp "$2" 1 || { emits R "$1" O; return 0; }
    [ -f "$RP" ] && [ -r "$RP" ] || return 0
    _s=$(stat -L -c %s -- "$RP" 2>/dev/null)
    case $_s in ''|*[!0-9]*) ;; *) [ "$_s" -le "$DB_CAP" ] || { emits R "$1" "L$_s"; return 0; } ;; esac
    grep -E "$4" -- "$RP" > "$T/$3" 2>/dev/null
    _PKGS="$_PKGS P:$1:$3" _MQ=$_MQ$3$NL
}
_pkgs_start() { # OFFLINE(0|1) RPM_QUERY
    _pkgdb dpkg /var/lib/dpkg/status pd '^(Package|Status):'
    _db=
    for _cand in /var/lib/rpm/rpmdb.sqlite /usr/lib/sysimage/rpm/rpmdb.sqlite; do
        rp "$_cand" 1
        if [ -f "$RP" ]; then _db=$_cand; break; fi
    done
    if [ -n "$_db" ]; then
        # A copy, so an rpm transaction during the scan cannot change its size under us.
        cat -- "$RP" > "$T/pq" 2>/dev/null
        _PKGS=$_PKGS" Q:$_db:pq" _MQ=${_MQ}pq$NL
    elif [ "$1" = 0 ]; then
        for _cand in /usr/bin/rpm /bin/rpm; do
            rp "$_cand" 1
            if [ -f "$RP" ]; then _PKGS=$_PKGS' K'; _start k "$2" "$QUERY_SECS"; break; fi
        done
    fi
    _pkgdb apk /lib/apk/db/installed pa '^P:'
}
_pkgs_rec() { # RPM_QUERY
    for _pk in $_PKGS; do
        case $_pk in
            K) _cmd_rec K "$1" k ;;
            *) _t=${_pk%%:*} _r=${_pk#*:}; _file_rec "$_t" "${_r%:*}" "${_r##*:}" ;;
        esac
    done
}

_UNITS=
_units_start() { # COMMAND
    if [ -d /run/systemd/system ]; then _UNITS=1; _start u "$1" "$QUERY_SECS"; else emits U "" N; fi
}
_units_rec() { # COMMAND
    [ -z "$_UNITS" ] || _cmd_rec U "$1" u
}
