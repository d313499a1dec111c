"""Validates a Gatehouse service ticket with python-cas, a CAS client
library from PyPI, as an e-service written by someone else would.

Usage: cas_client.py GATEHOUSE_URL SERVICE_URL LOGIN PASSWORD
Signs in for SERVICE_URL (as the login form does), takes the ticket from
the redirect, and prints what the library's CAS 3.0 validation returns.
"""
import json
import sys
from urllib.parse import parse_qs, urlparse

import requests
from cas import CASClient

base, service, login, password = sys.argv[1:5]
answer = requests.post(
    f"{base}/api/sign_in",
    data={"login": login, "password": password, "service": service},
    headers={"Origin": base, "Accept": "application/json"},
    allow_redirects=False,
    timeout=10,
)
answer.raise_for_status()
ticket = parse_qs(urlparse(answer.headers["Location"]).query)["ticket"][0]

client = CASClient(version=3, service_url=service, server_url=f"{base}/cas/")
user, attributes, pgtiou = client.verify_ticket(ticket)
again = client.verify_ticket(ticket)[0]
print(json.dumps({"user": user, "attributes": attributes, "reused": again}))
