"""A loopback HTTPS server with its own CA that is both an Entra-like authority (OpenID
configuration + client-credentials token endpoint) and a tiny Graph, so the real azure-identity
credentials, MSAL and the httpx client run unchanged over TLS against it."""

from __future__ import annotations

import datetime
import ipaddress
import json
import secrets
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def write_ca_and_cert(folder: Path) -> tuple[Path, Path, Path]:
    """(ca.pem, server.pem, server.key) for 127.0.0.1 / localhost, signed by a fresh CA."""
    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (x509.CertificateBuilder().subject_name(_name("crosstenant test CA")).issuer_name(_name("crosstenant test CA"))
          .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
          .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=1))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                       content_commitment=False, key_encipherment=False, data_encipherment=False,
                                       key_agreement=False, encipher_only=False, decipher_only=False), critical=True)
          .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder().subject_name(_name("127.0.0.1")).issuer_name(ca.subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                                                        x509.DNSName("localhost")]), critical=False)
            .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256()))
    paths = folder / "ca.pem", folder / "server.pem", folder / "server.key"
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return paths


class AuthorityAndGraph:
    """Accepts `client_secret` (or a given client assertion) for `client_id`; issues opaque tokens; Graph answers only to them."""

    def __init__(self, folder: Path, *, tenant_id: str, client_id: str, client_secret: str,
                 assertion: str | None = None, token_error: dict | None = None):
        self.ca, cert, key = write_ca_and_cert(folder)
        self.tenant_id, self.client_id, self.client_secret = tenant_id, client_id, client_secret
        self.assertion = assertion  # a federated client assertion accepted instead of the secret
        self.token_error = token_error  # the documented OAuth error body, for a wrong scope
        self.issued: set[str] = set()
        self.token_requests: list[dict[str, list[str]]] = []
        self.graph_requests: list[tuple[str, str | None]] = []
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.socket = context.wrap_socket(self._server.socket, server_side=True)
        self.url = f"https://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def __enter__(self) -> AuthorityAndGraph:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def _handler(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output clean
                pass

            def _send(self, status: int, body: dict) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.send_header("request-id", "tls-request-1")
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                path = urlsplit(self.path).path
                if path == f"/{server.tenant_id}/v2.0/.well-known/openid-configuration":
                    base = f"{server.url}/{server.tenant_id}"
                    return self._send(200, {"issuer": f"{base}/v2.0",
                                            "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
                                            "token_endpoint": f"{base}/oauth2/v2.0/token"})
                if path.startswith("/v1.0/"):
                    auth = self.headers.get("Authorization")
                    server.graph_requests.append((path, auth))
                    if not auth or auth.removeprefix("Bearer ") not in server.issued:
                        return self._send(401, {"error": {"code": "InvalidAuthenticationToken",
                                                          "message": "Access token is empty."}})
                    return self._send(200, {"id": "policy", "displayName": "CrossTenantAccessPolicy",
                                            "allowedCloudEndpoints": []})
                self._send(404, {"error": {"code": "Request_ResourceNotFound", "message": path}})

            def do_POST(self):
                form = parse_qs(self.rfile.read(int(self.headers.get("Content-Length", 0))).decode())
                server.token_requests.append(form)
                if urlsplit(self.path).path != f"/{server.tenant_id}/oauth2/v2.0/token":
                    return self._send(404, {"error": "not_found"})
                scope = form.get("scope", [""])[0]
                federated = server.assertion is not None and form.get("client_assertion") == [server.assertion]
                if form.get("client_id") != [server.client_id] or not (
                        federated or form.get("client_secret") == [server.client_secret]):
                    return self._send(401, {"error": "invalid_client", "error_codes": [7000215],
                                            "error_description": "AADSTS7000215: Invalid client secret provided."})
                if scope != f"{server.url.rsplit(':', 1)[0]}/.default" and server.token_error:
                    return self._send(400, server.token_error)
                token = secrets.token_urlsafe(16)
                server.issued.add(token)
                self._send(200, {"token_type": "Bearer", "expires_in": 3599, "access_token": token})

        return Handler
