"""Where webhooks may go: `https` URLs whose host resolves only to public addresses.

A URL is checked when an endpoint is created or changed, and again at every delivery after resolving its
host: the delivery then connects to exactly the address that was checked (delivery.py), so a DNS answer
that changes between the check and the connection (rebinding) cannot lead to a private address. Refused:
private, loopback, link-local (which holds the cloud metadata service 169.254.169.254), unique-local
(fd00:ec2::254 is EC2's IPv6 metadata address), shared (100.64/10), multicast, reserved and unspecified
addresses, and IPv6 forms that embed such an IPv4 address (IPv4-mapped, 6to4, NAT64; Teredo altogether).
The local stage also accepts the literal host `127.0.0.1` (over http or https), so a developer's own
receiver works; a name that resolves to 127.0.0.1 is refused there too.
"""

from __future__ import annotations

import ipaddress
from typing import NamedTuple
from urllib.parse import urlsplit

MAX_URL_LENGTH = 2048
LOCAL_RECEIVER_HOST = "127.0.0.1"
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_METADATA = {ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254")}


class UnsafeUrlError(Exception):
    """The URL may not receive webhooks; `reason` says why in a sentence."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Target(NamedTuple):
    scheme: str
    host: str
    port: int
    #: Path and query, as sent in the request line.
    path: str


def parse(url: str, stage: str) -> Target:
    """The URL's parts, if its form is acceptable (no address check yet)."""
    if len(url) > MAX_URL_LENGTH:
        raise UnsafeUrlError(f"The URL is longer than {MAX_URL_LENGTH} characters.")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise UnsafeUrlError("The URL is not valid.") from exc
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise UnsafeUrlError("The URL has no host.")
    if parts.username is not None or parts.password is not None:
        raise UnsafeUrlError("The URL may not contain a user name or password.")
    if any(ord(c) < 33 or ord(c) == 127 for c in url):
        raise UnsafeUrlError("The URL may not contain spaces or control characters.")
    local_receiver = stage == "local" and host == LOCAL_RECEIVER_HOST
    if parts.scheme != "https" and not (local_receiver and parts.scheme == "http"):
        raise UnsafeUrlError("Webhook URLs must use https." + (
            " (The local stage also accepts http://127.0.0.1.)" if stage == "local" else ""))
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return Target(scheme=parts.scheme, host=host, port=port or (443 if parts.scheme == "https" else 80), path=path)


def is_public(address: str) -> bool:
    """Whether connecting to `address` can only reach the public internet."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.teredo is not None:
            return False
        embedded = ip.ipv4_mapped or ip.sixtofour
        if embedded is None and ip in _NAT64:
            embedded = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if embedded is not None:
            return is_public(str(embedded))
    if ip in _METADATA:
        return False
    return ip.is_global and not (ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_multicast
                                 or ip.is_reserved or ip.is_unspecified)


def resolve(target: Target, stage: str) -> str:
    """The one address to connect to: every address the host resolves to must be public (a name that
    answers with one private address among public ones is refused, as the answer may change)."""
    if stage == "local" and target.host == LOCAL_RECEIVER_HOST:
        return LOCAL_RECEIVER_HOST
    import socket  # here: only webhook routes and deliveries resolve hosts; the API's cold start need not load it

    try:
        answers = socket.getaddrinfo(target.host, target.port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise UnsafeUrlError(f"The host {target.host} cannot be resolved.") from exc
    addresses = [str(answer[4][0]) for answer in answers]
    if not addresses:
        raise UnsafeUrlError(f"The host {target.host} cannot be resolved.")
    refused = [a for a in addresses if not is_public(a)]
    if refused:
        raise UnsafeUrlError(f"The host {target.host} resolves to an address that is not public ({refused[0]}).")
    return addresses[0]


def check(url: str, stage: str) -> Target:
    """Refuse a URL that is malformed, not https or resolves to an address that is not public."""
    target = parse(url, stage)
    resolve(target, stage)
    return target
