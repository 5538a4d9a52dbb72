#!/usr/bin/env python3
"""A phone security profile round trip with python-zeep and Cisco's WSDL.

This is how most AXL scripts talk to CUCM: zeep loads Cisco's AXLAPI.wsdl
exactly as shipped, and only the service address is pointed at the server.
The script adds a profile, reads it back by name and by uuid, lists it,
updates it (a partial update with a rename) and removes it again.

    python3 zeep_client.py --password SECRET --insecure
    python3 zeep_client.py --url https://axl.example.net:8443/axl/ \\
        --user admin --password SECRET --ca-file server.pem

--wsdl defaults to Cisco's 14.0 AXLAPI.wsdl as the npm package cisco-axl
ships it, which `make test-deps` installs for the tests
(tests/node_modules/cisco-axl/schema/14.0/AXLAPI.wsdl in the repository);
give --wsdl for another copy, e.g. the one in Cisco's AXL SQL Toolkit.
Needs zeep and requests (Debian: python3-zeep).
"""

import argparse
import os
import sys

import requests
import urllib3
import zeep
from lxml import etree
from requests.auth import HTTPBasicAuth
from zeep.exceptions import Fault, TransportError
from zeep.transports import Transport

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_WSDL = os.path.join(HERE, "..", "tests", "node_modules", "cisco-axl", "schema", "14.0",
                            "AXLAPI.wsdl")
BINDING = "{http://www.cisco.com/AXLAPIService/}AXLAPIBinding"


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--url", default="https://localhost:8443/axl/",
                   help="AXL endpoint (default: %(default)s)")
    p.add_argument("--user", default="admin", help="AXL user (default: %(default)s)")
    p.add_argument("--password", default=os.environ.get("AXLPROV_ADMIN_PASSWORD"),
                   help="AXL password (default: $AXLPROV_ADMIN_PASSWORD)")
    p.add_argument("--wsdl", default=os.path.normpath(DEFAULT_WSDL),
                   help="Cisco's AXLAPI.wsdl (default: %(default)s)")
    p.add_argument("--name", default="zeep-example-8845",
                   help="name of the profile to create (default: %(default)s)")
    tls = p.add_mutually_exclusive_group()
    tls.add_argument("--insecure", action="store_true",
                     help="do not verify the server certificate (self-signed test servers)")
    tls.add_argument("--ca-file", help="verify the server certificate against this PEM file")
    args = p.parse_args()
    if not args.password:
        p.error("give --password or set AXLPROV_ADMIN_PASSWORD")
    if not os.path.isfile(args.wsdl):
        p.error("no WSDL at %s: run `make test-deps`, or give --wsdl" % args.wsdl)
    return args


def connect(args):
    session = requests.Session()
    session.auth = HTTPBasicAuth(args.user, args.password)
    if args.insecure or args.ca_file:
        session.verify = False if args.insecure else args.ca_file
        # requests lets REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE from the
        # environment override session.verify, so the environment is
        # ignored here (proxy variables too).
        session.trust_env = False
    if args.insecure:
        urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)
    client = zeep.Client(args.wsdl, transport=Transport(session=session, timeout=30))
    return client.create_service(BINDING, args.url)


def show(title, obj):
    print("--- %s" % title)
    print(obj)


def main():
    args = parse_args()
    axl = connect(args)
    name, renamed = args.name, args.name + "-renamed"

    # add: the answer's 'return' is the new profile's uuid, "{...}".
    uuid = axl.addPhoneSecurityProfile(phoneSecurityProfile={
        "phoneType": "Cisco 8845",
        "protocol": "SIP",
        "name": name,
        "description": "added by zeep_client.py",
        "deviceSecurityMode": "Authenticated",
        "transportType": "TLS",
    })["return"]
    show("added", uuid)

    try:
        # get by name, all fields.
        profile = axl.getPhoneSecurityProfile(name=name)["return"]["phoneSecurityProfile"]
        show("get by name", profile)

        # get by uuid, a few fields only (empty strings mark the wanted ones).
        profile = axl.getPhoneSecurityProfile(
            uuid=uuid, returnedTags={"name": "", "deviceSecurityMode": "", "transportType": ""}
        )["return"]["phoneSecurityProfile"]
        show("get by uuid, three fields", profile)

        # update: only what is passed changes; newName renames.
        axl.updatePhoneSecurityProfile(name=name, newName=renamed,
                                       deviceSecurityMode="Encrypted", tftpEncryptedConfig="true")
        show("updated", renamed)

        # list: a LIKE pattern; returnedTags is required by the schema.
        result = axl.listPhoneSecurityProfile(
            searchCriteria={"name": args.name + "%"},
            returnedTags={"name": "", "deviceSecurityMode": "", "tftpEncryptedConfig": ""},
            skip=0, first=10)["return"]
        rows = result["phoneSecurityProfile"] if result else []   # no match: None
        show("list %s%%" % args.name, rows)
    finally:
        # remove whichever name it has by now (by uuid, which never changes).
        show("removed", axl.removePhoneSecurityProfile(uuid=uuid)["return"])
    return 0


def explain(err):
    """A one-line description of what went wrong."""
    if isinstance(err, Fault):
        # AXL faults carry axlcode/axlmessage in <detail><axlError>.  A
        # non-SOAP error page (a 401, say) reaches zeep as a fault without
        # that detail.
        if isinstance(err.detail, etree._Element):
            return "AXL fault %s: %s" % (err.detail.findtext("axlError/axlcode"), err.message)
        text = err.detail or err.message
        return "not an AXL answer (wrong URL or credentials?): %s" % text[:300]
    if isinstance(err, TransportError):
        return "HTTP %s from the server" % err.status_code
    if isinstance(err, requests.exceptions.SSLError):
        return "TLS error (self-signed certificate? try --ca-file or --insecure): %s" % err
    return str(err)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (Fault, TransportError, requests.exceptions.RequestException) as e:
        print(explain(e), file=sys.stderr)
        sys.exit(1)
