#!/bin/sh
# Installs the peer SAML SPs the benchmarks compare against: Debian's
# mod_auth_mellon and the Shibboleth SP (mod_shib + shibd).  Idempotent.
# The benchmarks start their own httpd/shibd with their own configs, so the
# packaged services must not start during the install: a policy-rc.d that
# answers 101 ("action forbidden") keeps invoke-rc.d from starting them.
set -eu

PKGS="libapache2-mod-auth-mellon libapache2-mod-shib"

missing=""
for p in $PKGS; do
    if ! dpkg-query -W -f '${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $p"
    fi
done
if [ -z "$missing" ]; then
    echo "install-peers: already installed: $PKGS"
    exit 0
fi

POLICY=/usr/sbin/policy-rc.d
own_policy=0
if [ ! -e "$POLICY" ]; then
    # Only remove what we created: some images (Docker) ship their own.
    printf '#!/bin/sh\nexit 101\n' > "$POLICY"
    chmod 755 "$POLICY"
    own_policy=1
fi
cleanup() {
    if [ "$own_policy" = 1 ]; then rm -f "$POLICY"; fi
}
trap cleanup EXIT INT TERM

export DEBIAN_FRONTEND=noninteractive
if ! apt-get -y install --no-install-recommends $missing; then
    # A stale package list is the usual cause: refresh once and retry.
    apt-get update
    apt-get -y install --no-install-recommends $missing
fi
echo "install-peers: installed:$missing"
