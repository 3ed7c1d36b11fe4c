#!/usr/bin/env bash
# Install Ralph LRS (ralph-malph 5.1.0, file-system backend) into .lrs/venv, once.
#
# The tests in tests/providers/ start it on 127.0.0.1 (see tests/providers/conftest.py).
# This script never fails the build: when the install is impossible (offline, no PyPI),
# it prints one line and exits 0, and those tests skip with the reason.
set -u

cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-python3}"
LRS_DIR=.lrs
VENV="$LRS_DIR/venv"
LOG="$LRS_DIR/install.log"
STAMP="$VENV/.installed-ralph-5.1.0"
# 'requests' is imported by Ralph but not pulled in by its extras.
PACKAGES=("ralph-malph[cli,lrs]==5.1.0" requests)

if [ -f "$STAMP" ]; then
    exit 0
fi

mkdir -p "$LRS_DIR"
echo "lrs: installing Ralph LRS 5.1.0 into $VENV (once; log in $LOG)"
started=$(date +%s)
if "$PYTHON" -m venv --clear "$VENV" >"$LOG" 2>&1 \
    && "$VENV/bin/pip" install --quiet --retries 2 --timeout 60 "${PACKAGES[@]}" >>"$LOG" 2>&1 \
    && RALPH_RUNSERVER_BACKEND=fs "$VENV/bin/python" -c "import ralph.api, bcrypt, uvicorn" >>"$LOG" 2>&1; then
    touch "$STAMP"
    echo "lrs: Ralph LRS installed in $(( $(date +%s) - started )) s"
else
    echo "lrs: could not install Ralph LRS ($(grep -m1 '^ERROR' "$LOG" || tail -n1 "$LOG"));" \
         "the tests that need a real LRS will be skipped (details in $LOG)"
fi
exit 0
