#!/bin/sh
# Runs mod_sipsso for real: builds it, starts the bundled Entra-compatible
# test IdP and Debian's apache2 with the module protecting /app/, prints the
# URL to open, and stops both on Ctrl-C.
set -eu
cd "$(dirname "$0")/.."
sh tools/install-deps.sh
make -s all

SP_PORT=${SP_PORT:-8080}
IDP_PORT=${IDP_PORT:-8081}
D=$(pwd)/build/demo
rm -rf "$D"; mkdir -p "$D/htdocs/app" "$D/run" "$D/cgi-bin" "$D/keys"
chmod 755 "$D" "$D/htdocs" "$D/htdocs/app" "$D/cgi-bin"
SP="http://127.0.0.1:$SP_PORT"
IDP="http://127.0.0.1:$IDP_PORT"
TENANT=5b5c94c6-14cf-42da-85bc-4e08722b253b

cat > "$D/idp.json" <<JSON
{"tenant_id": "$TENANT", "tenant_name": "Contoso (demo)", "base_url": "$IDP",
 "apps": [{"identifier": "$SP/sipsso/metadata", "reply_urls": ["$SP/sipsso/acs"],
           "name": "mod_sipsso demo"}],
 "users": [{"upn": "alice@contoso.example", "given": "Alice", "surname": "Smith",
            "display": "Alice Smith", "groups": ["aaaaaaaa-0000-0000-0000-000000000001"]},
           {"upn": "bob@contoso.example", "given": "Bob", "assigned": false},
           {"upn": "carol@contoso.example", "given": "Carol", "error": "AADSTS75011"}]}
JSON
/usr/bin/python3 t/idp/entra_idp.py --config "$D/idp.json" --port "$IDP_PORT" \
    --host 127.0.0.1 --keydir "$D/keys" > "$D/idp.out" 2> "$D/idp.log" &
IDP_PID=$!
i=0; until grep -q listening "$D/idp.out" 2>/dev/null; do
    i=$((i+1)); [ $i -gt 100 ] && { cat "$D/idp.log"; exit 1; }; sleep 0.1; done

cat > "$D/htdocs/index.html" <<HTML
<h1>mod_sipsso demo</h1><p><a href="/app/">Protected application</a> ·
<a href="/sipsso/">Setup page</a> · <a href="/sipsso/logout?ReturnTo=/">Sign out</a></p>
HTML
cat > "$D/cgi-bin/whoami" <<'CGI'
#!/usr/bin/python3
import html, os
print("Content-Type: text/html; charset=utf-8\n")
print("<h1>Hello, %s</h1><p>You reached a page protected by mod_sipsso.</p><table>"
      % html.escape(os.environ.get("REMOTE_USER", "?")))
for k in sorted(os.environ):
    if k.startswith("SIPSSO_") or k in ("REMOTE_USER", "AUTH_TYPE"):
        print("<tr><th align=left>%s</th><td>%s</td></tr>" % (k, html.escape(os.environ[k])))
print('</table><p><a href="/sipsso/logout?ReturnTo=/">Sign out</a></p>')
CGI
chmod 755 "$D/cgi-bin/whoami"
M=/usr/lib/apache2/modules
cat > "$D/httpd.conf" <<CONF
ServerRoot $D
PidFile $D/run/httpd.pid
DefaultRuntimeDir $D/run
Listen 127.0.0.1:$SP_PORT
ServerName 127.0.0.1:$SP_PORT
LoadModule mpm_event_module $M/mod_mpm_event.so
LoadModule authz_core_module $M/mod_authz_core.so
LoadModule authz_user_module $M/mod_authz_user.so
LoadModule authn_core_module $M/mod_authn_core.so
LoadModule socache_shmcb_module $M/mod_socache_shmcb.so
LoadModule alias_module $M/mod_alias.so
LoadModule mime_module $M/mod_mime.so
LoadModule dir_module $M/mod_dir.so
LoadModule cgi_module $M/mod_cgi.so
LoadModule sipsso_module $(pwd)/mod_sipsso.so
ErrorLog $D/error.log
LogLevel warn sipsso:info
TypesConfig /etc/mime.types
DocumentRoot $D/htdocs
DirectoryIndex index.html
<Directory $D/htdocs>
  Require all granted
</Directory>
ScriptAlias /app/ $D/cgi-bin/whoami/
<Directory $D/cgi-bin>
  Require all granted
</Directory>

# The three values Entra's "Set up <app>" box shows:
SipSSOEntityID $SP/sipsso/metadata
SipSSOIdPLoginURL $IDP/$TENANT/saml2
SipSSOIdPEntityID https://sts.windows.net/$TENANT/
SipSSOIdPCertificate $D/keys/idp-signing.crt

<Location /app/>
  AuthType SipSSO
  Require valid-user
</Location>
CONF
/usr/sbin/apache2 -f "$D/httpd.conf" -k start
trap 'kill $IDP_PID 2>/dev/null; /usr/sbin/apache2 -f "$D/httpd.conf" -k stop; echo; echo stopped' INT TERM EXIT
echo
echo "mod_sipsso demo is running."
echo "  Open:  $SP/app/"
echo "  Users: alice@contoso.example (signs in), bob@contoso.example (not assigned:"
echo "         AADSTS50105), carol@contoso.example (AADSTS75011 error page)"
echo "  Setup page: $SP/sipsso/   Error log: $D/error.log"
echo "Press Ctrl-C to stop."
while kill -0 $IDP_PID 2>/dev/null; do sleep 1; done
