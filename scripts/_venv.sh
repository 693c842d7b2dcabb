# The virtual environment both `bash scripts/lab` and `bash scripts/test` run in; sourced by them.
#
#   paygap_venv NAME VENV EXTRA [PIN ...]
#
# checks that $PY (python3 unless set) is Python 3.11 or newer, creates VENV with it on first
# use, and installs the package with EXTRA (and the PINs) whenever pyproject.toml has changed
# since the last successful install. pip's output goes to VENV/pip-install.log, whose last lines
# are shown if the install fails. NAME begins every message; $HINT (optional) is added to the
# advice on installing Python; $PIP_CHECK=1 also runs `pip check` after an install, and a
# function `after_install`, where the caller defines one, runs after it too.
# $LOCK (optional) names a requirements file of exact versions (image-requirements.txt): VENV is
# then made anew whenever the lock changes, gets exactly the lock's packages (--no-deps) and the
# package --no-deps, must pass `pip check` with nothing else, and only then gets EXTRA on top,
# constrained to the lock's versions.

fail() {
    echo "$NAME: $*" >&2
    exit 1
}

version_of() {
    "$1" -c 'import platform; print(platform.python_version())'
}

paygap_venv() {
    NAME="$1"
    VENV="$2"
    local extra="$3"
    shift 3
    local pins=("$@")
    local root
    root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
    PY="${PY:-${PYTHON:-python3}}"

    if ! command -v "$PY" >/dev/null 2>&1 || ! "$PY" -c "" >/dev/null 2>&1; then
        fail "$PY was not found. Install Python 3.11 or newer (https://www.python.org/downloads/)${HINT:-},
then run \`bash $NAME\` again."
    fi
    if ! "$PY" -c "import sys; sys.exit(sys.version_info < (3, 11))"; then
        fail "this needs Python 3.11 or newer; $PY is $(version_of "$PY").
Install a newer Python and run \`PYTHON=python3.12 bash $NAME\` (any 3.11+ works)${HINT:-}."
    fi

    if ! "$VENV/bin/python" -c "" >/dev/null 2>&1; then
        echo "Creating $VENV with $("$PY" -c 'import sys; print(sys.executable)') (Python $(version_of "$PY")) ..."
        rm -rf "$VENV"
        "$PY" -m venv "$VENV" || fail "could not create $VENV. On Debian or Ubuntu, install the venv
module (sudo apt install python3-venv) and run \`bash $NAME\` again."
        "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip \
            >"$VENV/pip-install.log" 2>&1 || true
    fi

    # The stamp holds what the last successful install was made from.
    local stamp="$VENV/.paygap-$extra"
    local wanted
    wanted="$extra ${pins[*]:-}"
    wanted="${wanted% } $("$VENV/bin/python" -c 'import hashlib, sys; print(hashlib.sha256(b"".join(open(f, "rb").read() for f in sys.argv[1:])).hexdigest())' "$root/pyproject.toml" ${LOCK:+"$LOCK"})"
    LOG="$VENV/pip-install.log"
    if [ "$(cat "$stamp" 2>/dev/null)" != "$wanted" ]; then
        local constraints=()
        : >"$LOG"
        if [ -n "${LOCK:-}" ]; then
            install_lock "$root"
            constraints=(--constraint "$LOCK")
        fi
        echo "Installing the package with its $extra extra into $VENV ${pins[*]:+(with ${pins[*]}) }(a minute or two the first time) ..."
        if ! "$VENV/bin/python" -m pip install --disable-pip-version-check --editable "${root}[${extra}]" \
            ${constraints[@]+"${constraints[@]}"} ${pins[@]+"${pins[@]}"} >>"$LOG" 2>&1; then
            tail -n 20 "$LOG" >&2
            fail "the install failed: the last lines of $LOG are above. Check the internet connection and run \`bash $NAME\` again."
        fi
        if [ "${PIP_CHECK:-0}" = 1 ]; then
            "$VENV/bin/python" -m pip check --disable-pip-version-check >>"$LOG" 2>&1 \
                || { tail -n 10 "$LOG" >&2; fail "installed packages disagree about their dependencies (see above)."; }
        fi
        if declare -F after_install >/dev/null; then
            after_install
        fi
        echo "$wanted" > "$stamp"
        echo "Installed ($(grep -c '' "$LOG") lines of detail in $LOG)."
    fi
}

# The lock's packages alone, in a venv made anew when the lock has changed (a package dropped
# from the lock must not linger); .paygap-lock holds the digest of the lock it was made from.
install_lock() {
    local root="$1" pip=("$VENV/bin/python" -m pip --disable-pip-version-check) digest
    digest="$("$VENV/bin/python" -c 'import hashlib, sys; print(hashlib.sha256(open(sys.argv[1], "rb").read()).hexdigest())' "$LOCK")"
    if [ "$(cat "$VENV/.paygap-lock" 2>/dev/null)" = "$digest" ]; then
        return 0
    fi
    if [ -f "$VENV/.paygap-lock" ]; then
        echo "$LOCK has changed since $VENV was made: making it anew ..."
        rm -rf "$VENV"
        "$PY" -m venv "$VENV" || fail "could not create $VENV."
        "${pip[@]}" install --quiet --upgrade pip >"$LOG" 2>&1 || true
    fi
    echo "Installing exactly the packages of $LOCK into $VENV ..."
    if ! "${pip[@]}" install --no-deps --requirement "$LOCK" >>"$LOG" 2>&1 \
        || ! "${pip[@]}" install --no-deps --editable "$root" >>"$LOG" 2>&1; then
        tail -n 20 "$LOG" >&2
        fail "the install failed: the last lines of $LOG are above. Check the internet connection and run \`bash $NAME\` again."
    fi
    if ! "${pip[@]}" check >>"$LOG" 2>&1; then
        tail -n 10 "$LOG" >&2
        fail "the packages of $LOCK do not satisfy each other or the package (above): a package is
missing from the lock or one of its versions is wrong. Fix the [conda] or [pip] line, then run
\`$VENV/bin/python scripts/lock_image.py --resolve\` and \`bash $NAME\` again (docs/contributing.md,
\"The image's packages\")."
    fi
    echo "$digest" >"$VENV/.paygap-lock"
}
