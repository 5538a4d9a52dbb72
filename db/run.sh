#!/bin/sh
# db/run.sh: what `make run` does after building: a private PostgreSQL under
# $AXLPROV_DATA (unless AXLPROV_DATABASE_URL names one), the migrations, a
# self-signed certificate, the CAPF CA that signs phones' LSCs and the admin
# user, then axlprovd in the foreground.  Ctrl-C or SIGTERM stops the server and its PostgreSQL.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
data=${AXLPROV_DATA:-$top/var}
mkdir -p "$data"
data=$(cd "$data" && pwd)
listen=${AXLPROV_LISTEN:-0.0.0.0:8443}
# axlprovd reads AXLPROV_SIP_LISTEN itself; empty turns SIP off.
sip=${AXLPROV_SIP_LISTEN-0.0.0.0:5060}
sip_tls=${AXLPROV_SIP_TLS_LISTEN-0.0.0.0:5061}
# EST, where phones obtain their LSC online; empty turns it off.
capf_listen=${AXLPROV_CAPF_LISTEN-0.0.0.0:3804}
admin=${AXLPROV_ADMIN_USER:-admin}
own_pg=

if [ -n "${AXLPROV_DATABASE_URL:-}" ]; then
	url=$AXLPROV_DATABASE_URL
else
	"$top/db/pg.sh" start "$data"
	url=$("$top/db/pg.sh" url "$data")
	own_pg=1
fi
export AXLPROV_DATABASE_URL="$url"
"$top/db/migrate.sh" "$url"

tls=$data/tls
if [ ! -f "$tls/server.pem" ]; then
	mkdir -p "$tls"
	openssl req -x509 -newkey rsa:2048 -nodes -days 825 -sha256 \
		-subj "/CN=$(hostname)" \
		-addext "subjectAltName=DNS:localhost,DNS:$(hostname),IP:127.0.0.1" \
		-keyout "$tls/server.key" -out "$tls/server.crt" 2>/dev/null
	cat "$tls/server.crt" "$tls/server.key" >"$tls/server.pem"
	chmod 600 "$tls/server.key" "$tls/server.pem"
fi

# The CAPF CA: created once, kept across runs (LSCs it signed stay valid).
# EC P-384, ten years; the key is 0600 from the moment it exists.
capf=$data/capf
if [ ! -f "$capf/ca.crt" ]; then
	mkdir -p "$capf"
	(umask 077 && openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 \
		-out "$capf/ca.key" 2>/dev/null)
	openssl req -x509 -new -key "$capf/ca.key" -days 3650 -sha384 \
		-subj "/CN=axlprov CAPF $(hostname)" \
		-addext "basicConstraints=critical,CA:TRUE" \
		-addext "keyUsage=critical,keyCertSign,cRLSign" \
		-out "$capf/ca.crt"
	chmod 600 "$capf/ca.key"
	chmod 644 "$capf/ca.crt"
fi
# capf issue and capf complete, run by hand, read the same settings.
export AXLPROV_CAPF_CERT="$capf/ca.crt" AXLPROV_CAPF_KEY="$capf/ca.key"

if [ -n "${AXLPROV_ADMIN_PASSWORD:-}" ]; then
	password=$AXLPROV_ADMIN_PASSWORD
elif [ -f "$data/admin-password" ]; then
	password=$(cat "$data/admin-password")
else
	password=$(openssl rand -base64 18 | tr -d '/+=' | cut -c1-20)
	(umask 077 && printf '%s\n' "$password" >"$data/admin-password")
fi
AXLPROV_PASSWORD=$password "$top/build/axlprovd" user set "$admin" --role full >/dev/null

port=${listen##*:}
cat <<MSG

  axlprov is running
    AXL URL:   https://localhost:$port/axl/   (self-signed certificate: $tls/server.crt)
    user:      $admin
    password:  $password
    database:  $url
    SIP:       ${sip:-off}   (registrar for phones, UDP and TCP; apply config notifies them)
    SIP TLS:   ${sip_tls:-off}   (phones with Authenticated or Encrypted profiles, with their LSC)
CAPF CA: $capf/ca.crt   (signs phones' LSCs: axlprovd capf issue PHONE --csr FILE)
    EST:       ${capf_listen:-off}   (phones enroll online: https://localhost:${capf_listen##*:}/.well-known/est/, see docs/certificates.md)

  Try:  curl -k -u '$admin:$password' https://localhost:$port/axl/
  Stop: Ctrl-C

MSG

stop() {
	trap - INT TERM
	[ -n "${pid:-}" ] && kill -TERM "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
	[ -n "$own_pg" ] && "$top/db/pg.sh" stop "$data"
	exit 0
}
trap stop INT TERM
"$top/build/axlprovd" --listen "$listen" --tls-cert "$tls/server.pem" \
	--capf-cert "$capf/ca.crt" --capf-key "$capf/ca.key" --capf-listen "$capf_listen" &
pid=$!
wait "$pid" || true
pid=
[ -n "$own_pg" ] && "$top/db/pg.sh" stop "$data"
