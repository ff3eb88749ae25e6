"""How Kafka clients connect, from the settings: plaintext on the private broker; TLS with the
brokers' CA and SASL (PLAIN, SCRAM) credentials for a real deployment; a SASL protocol without
its credentials is refused when the settings are read, naming what is missing."""

from __future__ import annotations

import ssl

import faust
import pytest
from pydantic import ValidationError

from infra.kafka.connection import faust_credentials, kafka_options
from infra.settings import Settings


def test_the_private_broker_is_plaintext():
    assert kafka_options(Settings(kafka_bootstrap="127.0.0.1:9092")) == {
        "bootstrap_servers": "127.0.0.1:9092",
        "security_protocol": "PLAINTEXT",
    }
    assert faust_credentials(Settings()) is None


def test_sasl_over_tls_with_scram():
    settings = Settings(
        kafka_bootstrap="kafka-1:9093,kafka-2:9093",
        kafka_security_protocol="SASL_SSL",
        kafka_sasl_mechanism="SCRAM-SHA-512",
        kafka_sasl_username="northstar",
        kafka_sasl_password="s3cret",
    )
    options = kafka_options(settings)
    assert isinstance(options.pop("ssl_context"), ssl.SSLContext)
    assert options == {
        "bootstrap_servers": "kafka-1:9093,kafka-2:9093",
        "security_protocol": "SASL_SSL",
        "sasl_mechanism": "SCRAM-SHA-512",
        "sasl_plain_username": "northstar",
        "sasl_plain_password": "s3cret",
    }
    credentials = faust_credentials(settings)
    assert isinstance(credentials, faust.SASLCredentials)
    assert (credentials.username, credentials.password) == ("northstar", "s3cret")
    assert credentials.ssl_context is not None


def test_tls_alone_verifies_the_brokers():
    options = kafka_options(Settings(kafka_security_protocol="SSL"))
    context = options["ssl_context"]
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    assert "sasl_mechanism" not in options
    assert isinstance(
        faust_credentials(Settings(kafka_security_protocol="SSL")), faust.SSLCredentials
    )


def test_sasl_without_credentials_is_refused_by_name():
    with pytest.raises(ValidationError, match="NORTHSTAR_KAFKA_SASL_PASSWORD"):
        Settings(kafka_security_protocol="SASL_PLAINTEXT", kafka_sasl_mechanism="PLAIN")
