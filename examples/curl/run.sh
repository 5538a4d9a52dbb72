#!/bin/sh
# Sends the example requests in this folder to an AXL server, in order:
# add, get (by name, by uuid, with returnedTags), update, list, apply (and
# its delivery status), remove.
# Each response is printed with its HTTP status.
#
#   ./run.sh [URL] [USER] [PASSWORD]
#
# Defaults: https://localhost:8443/axl/, admin, and $AXLPROV_ADMIN_PASSWORD.
# curl -k skips certificate checks (axlprovd is often run with a self-signed
# certificate); set CURL_OPTS="--cacert server.pem" to check it instead.
# Exits non-zero if any request did not get HTTP 200.

set -u

URL=${1:-https://localhost:8443/axl/}
AXL_USER=${2:-admin}
AXL_PASSWORD=${3:-${AXLPROV_ADMIN_PASSWORD:-}}
CURL_OPTS=${CURL_OPTS:--k}
HERE=$(cd "$(dirname "$0")" && pwd)

if [ -z "$AXL_PASSWORD" ]; then
	echo "usage: $0 [URL] [USER] [PASSWORD]  (or set AXLPROV_ADMIN_PASSWORD)" >&2
	exit 2
fi

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
failed=0

# A value for a double-quoted curl config string: escape \ and ".
curl_quote() {
	printf '%s' "$1" | sed 's/[\\"]/\\&/g'
}

# send OPERATION FILE: POSTs FILE as AXL 14.0 OPERATION and prints the answer.
# The password goes to curl through a config on stdin, not the command line
# (where other users could see it in ps).
send() {
	op=$1
	file=$2
	echo "==> $op ($(basename "$file"))"
	# CURL_OPTS is split into words on purpose (several options).
	# shellcheck disable=SC2086
	status=$(printf 'user = "%s:%s"\n' "$(curl_quote "$AXL_USER")" "$(curl_quote "$AXL_PASSWORD")" |
		curl -sS $CURL_OPTS -K - \
			-H 'Content-Type: text/xml; charset=utf-8' \
			-H "SOAPAction: \"CUCM:DB ver=14.0 $op\"" \
			--data-binary "@$file" \
			-o "$TMP/response" -w '%{http_code}' \
			"$URL")
	echo "HTTP $status"
	cat "$TMP/response" 2>/dev/null
	echo
	echo
	[ "$status" = 200 ] || failed=1
}

send addPhoneSecurityProfile "$HERE/add.xml"
# The add answers <return>{UUID}</return>: use it for the get by uuid.
uuid=$(sed -n 's:.*<return>\({[0-9A-Fa-f-]*}\)</return>.*:\1:p' "$TMP/response")
if [ -z "$uuid" ]; then
	echo "no uuid in the add response; skipping the get by uuid" >&2
	failed=1
else
	sed "s/UUID-FROM-ADD/$uuid/" "$HERE/get-by-uuid.xml" >"$TMP/get-by-uuid.xml"
fi

send getPhoneSecurityProfile "$HERE/get-by-name.xml"
[ -n "$uuid" ] && send getPhoneSecurityProfile "$TMP/get-by-uuid.xml"
send getPhoneSecurityProfile "$HERE/get-returned-tags.xml"
send updatePhoneSecurityProfile "$HERE/update.xml"
send listPhoneSecurityProfile "$HERE/list.xml"
send applyPhoneSecurityProfile "$HERE/apply.xml"
# Not AXL: the apply's delivery status (JSON), by the profile's name.
echo "==> apply status"
# shellcheck disable=SC2086
status=$(printf 'user = "%s:%s"\n' "$(curl_quote "$AXL_USER")" "$(curl_quote "$AXL_PASSWORD")" |
	curl -sS $CURL_OPTS -K - -o "$TMP/response" -w '%{http_code}' \
		"${URL%/}/status/apply/example-8845-encrypted")
echo "HTTP $status"
cat "$TMP/response"
echo
[ "$status" = 200 ] || failed=1
send removePhoneSecurityProfile "$HERE/remove.xml"

exit $failed
