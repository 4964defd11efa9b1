# plumb probe prelude: gathers facts and prints them as framed records on stdout.
# Record: NONCE SP TYPE SP KEYLEN SP BODYLEN LF KEY BODY LF (lengths in bytes), so content that
# contains the delimiter is only ever body bytes. The generator appends the calls after this.
export LC_ALL=C
umask 077

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
        if { [ -n "$_rest" ] || [ "$2" = 1 ]; } && [ -L "$ROOT$_done/$_c" ] && [ "$_hops" -lt 40 ]; then
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

# File content record body: M missing, U unreadable, L<size> too large, T<bytes>.
_filebody() { # TYPE TARGET
    rp "$2" 1
    if [ ! -e "$RP" ]; then emits "$1" "$2" M; return; fi
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
ffile() { _filebody F "$1"; }

# One lstat entry, appended to $T/s: KIND MODE UID GID PATHLEN LINKLEN LF PATH LINK
_sentry() {
    rp "$1" 0
    _lt=
    if [ -L "$RP" ]; then _k=l; _lt=$(readlink -- "$RP")
    elif [ -d "$RP" ]; then _k=d
    elif [ -f "$RP" ]; then _k=f
    elif [ -e "$RP" ]; then _k=o
    else return; fi
    rp "$1" 1
    _m='- - -'
    if [ -e "$RP" ]; then _m=$(stat -L -c '%a %u %g' -- "$RP" 2>/dev/null) || _m='- - -'; fi
    printf '%s %s %s %s\n%s%s' "$_k" "$_m" "${#1}" "${#_lt}" "$1" "$_lt" >> "$T/s"
}
fstat() { # PATTERN (a path, or a glob expanded the way sh does)
    : > "$T/s"
    case $1 in
        *[*?[]*)
            _oifs=$IFS; IFS=
            for _g in $ROOT$1; do
                IFS=$_oifs
                if [ -e "$_g" ] || [ -L "$_g" ]; then _sentry "${_g#"$ROOT"}"; fi
                IFS=
            done
            IFS=$_oifs
            ;;
        *) _sentry "$1" ;;
    esac
    emitf S "$1" "" "$T/s"
}

# A directory listing: D record (M, or E then LEN:NAME for each matching regular file) and a
# G record with each listed file's content.
fdir() { # DIR PATTERN
    _key="$1
$2"
    rp "$1" 1
    if [ ! -d "$RP" ]; then emits D "$_key" M; return; fi
    _dir=$RP
    : > "$T/d"
    for _e in "$_dir"/* "$_dir"/.*; do
        _nm=${_e##*/}
        case $_nm in .|..) continue ;; esac
        [ -e "$_e" ] || [ -L "$_e" ] || continue
        case $_nm in .*) case $2 in .*) ;; *) continue ;; esac ;; esac
        # shellcheck disable=SC2254
        case $_nm in $2) ;; *) continue ;; esac
        _tp=${1%/}/$_nm
        rp "$_tp" 1
        [ -f "$RP" ] || continue
        printf '%s:%s' "${#_nm}" "$_nm" >> "$T/d"
        _filebody G "$_tp"
    done
    emitf D "$_key" E "$T/d"
}

# A command with a timeout and capped output. Body: T (timed out) or
# R EXIT OUTLEN ERRLEN TRUNCATED LF OUT ERR.
fcmd() { # TYPE COMMAND TIMEOUT_SECONDS
    rm -f "$T/rc" "$T/to"
    if [ -n "$_HAVE_TIMEOUT" ]; then
        { { timeout -k 1 "$3" /bin/sh -c "$2" < /dev/null; echo $? > "$T/rc"; } 2>&1 1>&3 \
            | { head -c "$ERR_CAP" > "$T/e"; cat > /dev/null; }; } 3>&1 \
            | { head -c $((OUT_CAP + 1)) > "$T/o"; cat > /dev/null; }
        [ "$(cat "$T/rc" 2>/dev/null)" = 124 ] && : > "$T/to"
    else
        # No timeout(1): a watchdog kills the command (its children may outlive it).
        { { /bin/sh -c "$2" < /dev/null & _cp=$!
            ( sleep "$3"; : > "$T/to"; kill -9 "$_cp" ) > /dev/null 2>&1 < /dev/null & _wp=$!
            wait "$_cp"; echo $? > "$T/rc"
            kill "$_wp" 2>/dev/null; } 2>&1 1>&3 \
            | { head -c "$ERR_CAP" > "$T/e"; cat > /dev/null; }; } 3>&1 \
            | { head -c $((OUT_CAP + 1)) > "$T/o"; cat > /dev/null; }
    fi
    if [ -e "$T/to" ]; then emits "$1" "$2" T; return; fi
    _rc=$(cat "$T/rc" 2>/dev/null)
    [ -n "$_rc" ] || _rc=-1
    _size "$T/o"; _ol=$_S _tr=0
    if [ "$_ol" -gt "$OUT_CAP" ]; then _ol=$OUT_CAP _tr=1; fi
    _size "$T/e"; _el=$_S
    _h="R $_rc $_ol $_el $_tr
"
    _rec "$1" "$2" $((${#_h} + _ol + _el))
    printf '%s' "$_h"
    head -c "$_ol" "$T/o"
    cat "$T/e"
    _end_rec
}

# Package databases: P (dpkg/apk name lines), Q (an rpm sqlite database), K (rpm -qa).
fpkgs() { # OFFLINE(0|1) RPM_QUERY
    rp /var/lib/dpkg/status 1
    if [ -f "$RP" ] && [ -r "$RP" ]; then
        grep -E '^(Package|Status):' -- "$RP" > "$T/p" 2>/dev/null
        emitf P dpkg "" "$T/p"
    fi
    _db=
    for _cand in /var/lib/rpm/rpmdb.sqlite /usr/lib/sysimage/rpm/rpmdb.sqlite; do
        rp "$_cand" 1
        if [ -f "$RP" ]; then _db=$_cand; break; fi
    done
    if [ -n "$_db" ]; then
        emitf Q "$_db" "" "$RP"
    elif [ "$1" = 0 ]; then
        for _cand in /usr/bin/rpm /bin/rpm; do
            rp "$_cand" 1
            if [ -f "$RP" ]; then fcmd K "$2" 30; break; fi
        done
    fi
    rp /lib/apk/db/installed 1
    if [ -f "$RP" ] && [ -r "$RP" ]; then
        grep '^P:' -- "$RP" > "$T/p" 2>/dev/null
        emitf P apk "" "$T/p"
    fi
}

funits() { # COMMAND
    if [ -d /run/systemd/system ]; then fcmd U "$1" 30; else emits U "" N; fi
}
