# Python virtual environment for the interop tests (Tests/interop) and the end-to-end tests (Tests/e2e).
# Source bin/lib/common.sh first (it defines RELAY_ROOT).
#
# ensure_venv: creates $RELAY_ROOT/.venv when it is missing or incomplete and installs the pinned packages below.
# A stamp file, written only after a successful install, holds the hash of the requirements, so a repeat run is instant
# (about 20 ms). A change to the list, a missing stamp, an interpreter that no longer runs or a missing package
# rebuilds the venv from scratch. Quiet unless it installs.

RELAY_VENV="$RELAY_ROOT/.venv"
RELAY_PYTHON_REQUIREMENTS='bullmq==3.4.4
pytest==9.2.0
pytest-asyncio==1.5.0
llmock==0.2.2
openai==3.57.0
anthropic==2.15.0
websockets==17.4
PyJWT==2.15.1'

# Requirement names whose import directory is not the name with - turned into _.
_venv_module_dir() {
    case $1 in
        PyJWT) echo jwt ;;
        *) echo "${1//-/_}" ;;
    esac
}

# True when every pinned package's import directory is in the venv (a cheap completeness check, no imports).
_venv_has_packages() {
    local venv=$1 line pkg
    while IFS= read -r line; do
        pkg=$(_venv_module_dir "${line%%[=<>~ ]*}")
        compgen -G "$venv/lib/python3*/site-packages/$pkg/__init__.py" >/dev/null || return 1
    done <<<"$RELAY_PYTHON_REQUIREMENTS"
}

ensure_venv() {
    local venv="$RELAY_VENV" stamp="$RELAY_VENV/.relay-requirements.sha256" want have python
    want=$(printf '%s\n' "$RELAY_PYTHON_REQUIREMENTS" | sha256sum | cut -d' ' -f1)
    have=$(cat "$stamp" 2>/dev/null || true)
    if [ "$want" = "$have" ] && "$venv/bin/python" -c '' 2>/dev/null && _venv_has_packages "$venv"; then
        return 0
    fi
    python=${RELAY_PYTHON:-python3}
    command -v "$python" >/dev/null || die "$python is not on PATH; install Python 3.11+"
    # Anything off: build it anew, so no package left from an older list or a broken install survives.
    say "setting up the Python interop environment in $venv"
    rm -rf "$venv"
    "$python" -m venv "$venv" || die "could not create $venv (is the python3-venv package installed?)"
    local reqs="$venv/requirements.txt"
    printf '%s\n' "$RELAY_PYTHON_REQUIREMENTS" >"$reqs"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-input -r "$reqs" \
        || die "pip install into $venv failed"
    "$venv/bin/python" -c 'import bullmq, pytest, pytest_asyncio, openai, anthropic, websockets, jwt' || die "the venv in $venv is incomplete after install"
    printf '%s\n' "$want" >"$stamp"
}
