#!/usr/bin/env bash
# Install notices-ingestor as a systemd service (run as root from a checkout):
#   sudo systemd/install.sh
# Creates the user, a venv in /opt/notices-ingestor/venv, /etc/notices-ingestor/config.toml (from the
# example, if absent) and the unit. Python >= 3.11 is required (PYTHON=/path/to/python3 to choose).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
python=${PYTHON:-python3}
prefix=/opt/notices-ingestor

"$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { echo "need Python >= 3.11: set PYTHON=" >&2; exit 2; }
id -u notices-ingestor >/dev/null 2>&1 || useradd --system --home-dir /var/lib/notices-ingestor --shell /usr/sbin/nologin notices-ingestor
install -d -m 0755 "$prefix"
"$python" -m venv "$prefix/venv"
"$prefix/venv/bin/pip" install --quiet --upgrade "$here"
install -m 0644 "$here/README.md" "$prefix/README.md"
install -d -m 0750 -g notices-ingestor /etc/notices-ingestor
if [ ! -e /etc/notices-ingestor/config.toml ]; then
  install -m 0640 -g notices-ingestor "$here/config/notices-ingestor.example.toml" /etc/notices-ingestor/config.toml
  echo "edit /etc/notices-ingestor/config.toml, put the secrets in /etc/notices-ingestor/netbox-token and imap-password (mode 0600)"
fi
install -m 0644 "$here/systemd/notices-ingestor.service" /etc/systemd/system/notices-ingestor.service
systemctl daemon-reload 2>/dev/null || echo "systemd is not running here: reload it when it is (systemctl daemon-reload)"
echo "then: notices-ingestor check --setup  (once), and: systemctl enable --now notices-ingestor"
