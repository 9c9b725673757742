#!/bin/sh
# Installs netconform into /opt/netconform (a venv on Debian's python3) and adds its user. Runs inside the
# image being built: as a Containerfile RUN step, or chrooted by scripts/build_image.py.
#   $1  a directory with requirements-runtime.lock, dist/netconform-*.whl and, optionally, wheels/ (then
#       nothing is fetched: the hashed lock is installed from those wheels alone)
set -eu
src=$1
python3 -m venv /opt/netconform
pip="/opt/netconform/bin/python -m pip --disable-pip-version-check --no-cache-dir --quiet"
# No bytecode in the image: it would add about as much again as the sources (the kubernetes client's models
# above all); PYTHONDONTWRITEBYTECODE keeps the run from writing any into the read-only tree.
install="install --no-compile"
if [ -d "$src/wheels" ]; then from="--no-index --find-links $src/wheels"; else from=""; fi
# shellcheck disable=SC2086  # $from is a list of options
$pip $install $from --require-hashes --only-binary=:all: -r "$src/requirements-runtime.lock"
$pip $install --no-index --no-deps "$src"/dist/netconform-*.whl
# The installer is not needed at run time (the user cannot write here anyway).
$pip uninstall --yes pip setuptools >/dev/null 2>&1 || true
# The kubernetes client ships an asyncio twin of itself (kubernetes/aio, about 40 MB of generated code) that
# nothing imports unless asked to; netconform uses the synchronous client only. Dropped to hold the image
# under 250 MB; the import below (-B: writing no bytecode) proves the synchronous client and the harness load.
rm -rf /opt/netconform/lib/python3*/site-packages/kubernetes/aio
/opt/netconform/bin/python -B -c 'import kubernetes.client, kubernetes.stream, netconform.cli, fixtures.plugin'
# No bytecode at all (a .pyc embeds its source's install-time mtime, which would make two builds differ):
# something during the install still writes a few (attrs'); they go.
find /opt/netconform -name __pycache__ -type d -prune -exec rm -rf {} +
# The user, written directly: no dependency on the passwd package, and the same lines on both bases.
grep -q '^netconform:' /etc/group || echo 'netconform:x:10001:' >>/etc/group
grep -q '^netconform:' /etc/passwd || echo 'netconform:x:10001:10001:netconform:/tmp:/usr/sbin/nologin' >>/etc/passwd
