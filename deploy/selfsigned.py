"""Write a self-signed TLS certificate for the proxy unless one is there already.

`python deploy/selfsigned.py DIR [HOST ...]` writes DIR/cert.pem and DIR/key.pem (RSA 2048, one
year, the host names as subject alternative names). An operator's own certificate placed in
DIR under those names is never replaced. Only the `cryptography` package is needed (the app's
own dependency), so the compose file needs no other image to make one.
"""

import datetime
import ipaddress
import sys
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID


def _names(hosts: list[str]) -> list[x509.GeneralName]:
    names: list[x509.GeneralName] = []
    for host in hosts:
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            names.append(x509.DNSName(host))
    return names


def write(directory: Path, hosts: list[str]) -> bool:
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    if cert_path.exists() and key_path.exists():
        return False
    directory.mkdir(parents=True, exist_ok=True)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hosts[0])])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=365))
        .add_extension(x509.SubjectAlternativeName(_names(hosts)), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    key_path.chmod(0o600)
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return True


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit("usage: selfsigned.py DIR [HOST ...]")
    hosts = [h for h in sys.argv[2:] if h] or ["localhost"]
    made = write(Path(sys.argv[1]), hosts)
    print(
        f"self-signed certificate written for {', '.join(hosts)}"
        if made
        else "kept the certificate in place"
    )
