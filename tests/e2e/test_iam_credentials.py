"""Certificates and user credentials with boto3: server certificates
(``API_UploadServerCertificate``, ``API_ServerCertificateMetadata``), signing certificates
(``API_UploadSigningCertificate``), SSH public keys (``API_UploadSSHPublicKey``,
``API_GetSSHPublicKey``) and service-specific credentials
(``API_CreateServiceSpecificCredential``)."""

from __future__ import annotations

import datetime as dt

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from e2e_helpers import error_of


@pytest.fixture(scope="module")
def keys():
    return [rsa.generate_private_key(public_exponent=65537, key_size=2048) for _ in range(2)]


def _cert(key, cn="example.com") -> str:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def _pem_key(key) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def test_server_certificate_lifecycle(server, iam, keys):
    acct = server.account_id
    body = _cert(keys[0])
    meta = iam.upload_server_certificate(
        ServerCertificateName="web", Path="/cloudfront/", CertificateBody=body, PrivateKey=_pem_key(keys[0]),
        Tags=[{"Key": "env", "Value": "prod"}],
    )  # fmt: skip
    assert meta["ServerCertificateMetadata"]["Arn"] == f"arn:aws:iam::{acct}:server-certificate/cloudfront/web"
    assert meta["ServerCertificateMetadata"]["ServerCertificateId"].startswith("ASCA")
    assert meta["Tags"] == [{"Key": "env", "Value": "prod"}]
    got = iam.get_server_certificate(ServerCertificateName="web")["ServerCertificate"]
    assert got["CertificateBody"] == body.strip()
    assert got["ServerCertificateMetadata"]["Expiration"] > got["ServerCertificateMetadata"]["UploadDate"]

    err = error_of(
        iam.upload_server_certificate, ServerCertificateName="bad", CertificateBody=body, PrivateKey=_pem_key(keys[1])
    )
    assert err["Code"] == "KeyPairMismatch"
    err = error_of(
        iam.upload_server_certificate, ServerCertificateName="bad", CertificateBody="nope", PrivateKey=_pem_key(keys[1])
    )
    assert err["Code"] == "MalformedCertificate"
    err = error_of(
        iam.upload_server_certificate, ServerCertificateName="web", CertificateBody=body, PrivateKey=_pem_key(keys[0])
    )
    assert err["Code"] == "EntityAlreadyExists"

    iam.update_server_certificate(ServerCertificateName="web", NewServerCertificateName="site", NewPath="/")
    listed = iam.list_server_certificates()["ServerCertificateMetadataList"]
    assert [(m["ServerCertificateName"], m["Path"]) for m in listed] == [("site", "/")]
    assert iam.list_server_certificate_tags(ServerCertificateName="site")["Tags"] == [{"Key": "env", "Value": "prod"}]
    iam.tag_server_certificate(ServerCertificateName="site", Tags=[{"Key": "team", "Value": "web"}])
    iam.untag_server_certificate(ServerCertificateName="site", TagKeys=["env"])
    assert iam.list_server_certificate_tags(ServerCertificateName="site")["Tags"] == [{"Key": "team", "Value": "web"}]
    iam.delete_server_certificate(ServerCertificateName="site")
    err = error_of(iam.get_server_certificate, ServerCertificateName="site")
    assert (err["Code"], err["Message"]) == ("NoSuchEntity", "The Server Certificate with name site cannot be found.")


def test_signing_certificates_of_a_user_and_of_the_root_user(server, iam, keys):
    iam.create_user(UserName="dev")
    made = iam.upload_signing_certificate(UserName="dev", CertificateBody=_cert(keys[0]))["Certificate"]
    assert (made["UserName"], made["Status"]) == ("dev", "Active")
    err = error_of(iam.upload_signing_certificate, UserName="dev", CertificateBody=made["CertificateBody"])
    assert (err["Code"], err["status"]) == ("DuplicateCertificate", 409)
    iam.update_signing_certificate(UserName="dev", CertificateId=made["CertificateId"], Status="Inactive")
    listed = iam.list_signing_certificates(UserName="dev")["Certificates"]
    assert [(c["CertificateId"], c["Status"]) for c in listed] == [(made["CertificateId"], "Inactive")]
    err = error_of(iam.delete_user, UserName="dev")
    assert (err["Code"], err["Message"]) == (
        "DeleteConflict",
        "Cannot delete entity, must delete signing certificates first.",
    )
    iam.delete_signing_certificate(UserName="dev", CertificateId=made["CertificateId"])
    iam.delete_user(UserName="dev")

    root = iam.upload_signing_certificate(CertificateBody=_cert(keys[1]))["Certificate"]
    assert root["UserName"] == server.account_id
    assert iam.get_account_summary()["SummaryMap"]["AccountSigningCertificatesPresent"] == 1
    err = error_of(iam.upload_signing_certificate, CertificateBody="-----BEGIN CERTIFICATE-----\nxx")
    assert err["Code"] == "MalformedCertificate"


def test_ssh_public_keys(server, iam, keys):
    iam.create_user(UserName="git")
    ssh = keys[0].public_key().public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH).decode()
    made = iam.upload_ssh_public_key(UserName="git", SSHPublicKeyBody=ssh + " me@host")["SSHPublicKey"]
    assert made["SSHPublicKeyId"].startswith("APKA")
    assert len(made["Fingerprint"].split(":")) == 16
    got = iam.get_ssh_public_key(UserName="git", SSHPublicKeyId=made["SSHPublicKeyId"], Encoding="SSH")
    assert got["SSHPublicKey"]["SSHPublicKeyBody"] == ssh
    pem = iam.get_ssh_public_key(UserName="git", SSHPublicKeyId=made["SSHPublicKeyId"], Encoding="PEM")
    assert pem["SSHPublicKey"]["SSHPublicKeyBody"].startswith("-----BEGIN RSA PUBLIC KEY-----")
    assert error_of(iam.upload_ssh_public_key, UserName="git", SSHPublicKeyBody=ssh)["Code"] == "DuplicateSSHPublicKey"
    assert error_of(iam.upload_ssh_public_key, UserName="git", SSHPublicKeyBody="ssh-rsa nope")["Code"] == (
        "InvalidPublicKey"
    )
    iam.update_ssh_public_key(UserName="git", SSHPublicKeyId=made["SSHPublicKeyId"], Status="Inactive")
    listed = iam.list_ssh_public_keys(UserName="git")["SSHPublicKeys"]
    assert [(k["SSHPublicKeyId"], k["Status"]) for k in listed] == [(made["SSHPublicKeyId"], "Inactive")]
    assert "Fingerprint" not in listed[0]
    iam.update_user(UserName="git", NewUserName="coder")
    assert len(iam.list_ssh_public_keys(UserName="coder")["SSHPublicKeys"]) == 1
    iam.delete_ssh_public_key(UserName="coder", SSHPublicKeyId=made["SSHPublicKeyId"])
    err = error_of(iam.delete_ssh_public_key, UserName="coder", SSHPublicKeyId=made["SSHPublicKeyId"])
    assert err["Code"] == "NoSuchEntity"


def test_service_specific_credentials(server, iam):
    acct = server.account_id
    iam.create_user(UserName="dev")
    made = iam.create_service_specific_credential(UserName="dev", ServiceName="codecommit.amazonaws.com")[
        "ServiceSpecificCredential"
    ]
    assert made["ServiceUserName"] == f"dev-at-{acct}" and made["ServicePassword"]
    assert made["ServiceSpecificCredentialId"].startswith("ACCA")
    bedrock = iam.create_service_specific_credential(
        UserName="dev", ServiceName="bedrock.amazonaws.com", CredentialAgeDays=30
    )["ServiceSpecificCredential"]
    assert bedrock["ServiceCredentialSecret"].startswith("ABSK") and "ExpirationDate" in bedrock
    iam.create_service_specific_credential(UserName="dev", ServiceName="codecommit.amazonaws.com")
    err = error_of(iam.create_service_specific_credential, UserName="dev", ServiceName="codecommit.amazonaws.com")
    assert (err["Code"], err["Message"]) == (
        "LimitExceeded",
        "Cannot exceed quota for ServiceSpecificCredentialsPerUserPerService: 2",
    )
    err = error_of(iam.create_service_specific_credential, UserName="dev", ServiceName="s3.amazonaws.com")
    assert err["Code"] == "NotSupportedService"

    listed = iam.list_service_specific_credentials(UserName="dev", ServiceName="codecommit.amazonaws.com")
    assert len(listed["ServiceSpecificCredentials"]) == 2
    assert "ServicePassword" not in listed["ServiceSpecificCredentials"][0]
    reset = iam.reset_service_specific_credential(
        UserName="dev", ServiceSpecificCredentialId=made["ServiceSpecificCredentialId"]
    )["ServiceSpecificCredential"]
    assert reset["ServicePassword"] != made["ServicePassword"]
    iam.update_service_specific_credential(
        UserName="dev", ServiceSpecificCredentialId=made["ServiceSpecificCredentialId"], Status="Inactive"
    )
    assert {
        c["Status"] for c in iam.list_service_specific_credentials(AllUsers=True)["ServiceSpecificCredentials"]
    } == {
        "Active",
        "Inactive",
    }
    for cred in iam.list_service_specific_credentials(UserName="dev")["ServiceSpecificCredentials"]:
        iam.delete_service_specific_credential(
            UserName="dev", ServiceSpecificCredentialId=cred["ServiceSpecificCredentialId"]
        )
    iam.delete_user(UserName="dev")
