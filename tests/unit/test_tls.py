"""Certificates for the test bed and the harness's webhooks."""

from __future__ import annotations

import ipaddress

from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from netconform.adapters.tls import MAX_COMMON_NAME, CertificateAuthority

LONG_NS = "nc-11261311ae66-gw12-webhooks-with-a-rather-long-test-name-3eff"  # 63 characters, a valid name


def test_a_leaf_for_a_long_service_name_keeps_every_name_in_its_sans() -> None:
    ca = CertificateAuthority.create(f"netconform {LONG_NS}/webhook CA")
    names = [
        "webhook",
        f"webhook.{LONG_NS}",
        f"webhook.{LONG_NS}.svc",
        f"webhook.{LONG_NS}.svc.cluster.local",
    ]
    pair = ca.issue(f"webhook.{LONG_NS}.svc", dns_names=names, server=True)
    cert = x509.load_pem_x509_certificate(pair.cert_pem)
    common_name = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value
    assert len(common_name) == MAX_COMMON_NAME
    assert (
        cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value.get_values_for_type(
            x509.DNSName
        )
        == names
    )


def test_leaf_is_signed_by_its_ca_with_the_requested_usages() -> None:
    ca = CertificateAuthority.create("test CA")
    pair = ca.issue(
        "node",
        organizations=("system:nodes",),
        ip_addresses=(ipaddress.IPv4Address("172.30.0.1"),),
        server=True,
        client=True,
    )
    cert = x509.load_pem_x509_certificate(pair.cert_pem)
    ca_cert = x509.load_pem_x509_certificate(ca.pair.cert_pem)
    cert.verify_directly_issued_by(ca_cert)
    usages = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(usages) == [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]
    assert cert.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value == "system:nodes"
