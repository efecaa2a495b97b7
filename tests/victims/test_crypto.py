"""Encryption at rest: round trip, random IVs, key rotation, the keyed passport hash."""

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from victims import crypto

OLD, NEW = Fernet.generate_key().decode(), Fernet.generate_key().decode()


def test_round_trip_and_a_new_ciphertext_each_time():
    a, b = crypto.encrypt("Zyxwanda"), crypto.encrypt("Zyxwanda")
    assert a != b
    assert "Zyxwanda" not in a
    assert crypto.decrypt(a) == crypto.decrypt(b) == "Zyxwanda"


def test_key_rotation_first_key_encrypts_all_keys_decrypt():
    with override_settings(VICTIMS_ENCRYPTION_KEYS=[OLD]):
        old_token = crypto.encrypt("secret")
    with override_settings(VICTIMS_ENCRYPTION_KEYS=[NEW, OLD]):
        assert crypto.decrypt(old_token) == "secret"
        rotated = crypto.rotate(old_token)
        new_token = crypto.encrypt("secret")
    with override_settings(VICTIMS_ENCRYPTION_KEYS=[NEW]):
        assert crypto.decrypt(rotated) == "secret"
        assert crypto.decrypt(new_token) == "secret"
        with pytest.raises(crypto.DecryptionError):
            crypto.decrypt(old_token)


def test_a_value_under_an_unknown_key_is_an_error_not_garbage():
    with override_settings(VICTIMS_ENCRYPTION_KEYS=[OLD]):
        token = crypto.encrypt("x")
    with override_settings(VICTIMS_ENCRYPTION_KEYS=[NEW]), pytest.raises(crypto.DecryptionError):
        crypto.decrypt(token)


@pytest.mark.parametrize("keys", [[], ["not-a-key"]])
def test_bad_key_settings_fail_loudly(keys):
    with override_settings(VICTIMS_ENCRYPTION_KEYS=keys), pytest.raises(ImproperlyConfigured):
        crypto.encrypt("x")


def test_passport_hash_normalises_and_is_keyed():
    assert crypto.normalise_passport(" p-1234 567x ") == "P1234567X"
    h = crypto.lookup_hash("P-1234 567X")
    assert h == crypto.lookup_hash("p1234567x")
    assert len(h) == 64 and "P1234567X" not in h
    assert h != crypto.lookup_hash("P1234567Y")
    with override_settings(VICTIMS_LOOKUP_KEY="another-key"):
        assert crypto.lookup_hash("P1234567X") != h
    assert crypto.lookup_hash(" - ") == ""


def test_production_refuses_to_start_without_keys(monkeypatch):
    """settings.py: DJANGO_ENV=production and no victims keys → ImproperlyConfigured."""
    import importlib.util
    import pathlib
    import sys

    path = pathlib.Path(__file__).resolve().parents[2] / "exchange" / "settings.py"
    monkeypatch.setenv("DJANGO_ENV", "production")
    monkeypatch.setenv("DEBUG", "false")
    monkeypatch.setenv("SECRET_KEY", "s" * 60)
    monkeypatch.setenv("ALLOWED_HOSTS", "example.org")
    monkeypatch.delenv("VICTIMS_ENCRYPTION_KEYS", raising=False)
    monkeypatch.delenv("VICTIMS_LOOKUP_KEY", raising=False)

    def load():
        spec = importlib.util.spec_from_file_location("_victims_prod_settings", path)
        module = importlib.util.module_from_spec(spec)
        sys.modules.pop("_victims_prod_settings", None)
        spec.loader.exec_module(module)
        return module

    with pytest.raises(ImproperlyConfigured, match="VICTIMS_ENCRYPTION_KEYS"):
        load()
    monkeypatch.setenv("VICTIMS_ENCRYPTION_KEYS", f"{NEW},{OLD}")
    monkeypatch.setenv("VICTIMS_LOOKUP_KEY", "k" * 40)
    settings = load()
    assert settings.VICTIMS_ENCRYPTION_KEYS == [NEW, OLD]


def test_system_check_reports_a_malformed_key():
    from victims.checks import encryption_keys_check

    assert encryption_keys_check() == []
    with override_settings(VICTIMS_ENCRYPTION_KEYS=["nope"]):
        assert [e.id for e in encryption_keys_check()] == ["victims.E001"]


def test_is_token_tells_a_stored_token_from_typed_text():
    assert crypto.is_token(crypto.encrypt("x"))
    assert crypto.is_token(Fernet(Fernet.generate_key()).encrypt(b"another key").decode())
    for text in ("", "Still held in the compound.", "gAAAAA" + "A" * 120, "สมหญิง" * 40):
        assert not crypto.is_token(text), text


def test_is_current_means_the_first_key_opens_it():
    with override_settings(VICTIMS_ENCRYPTION_KEYS=[OLD]):
        token = crypto.encrypt("x")
        assert crypto.is_current(token)
    with override_settings(VICTIMS_ENCRYPTION_KEYS=[NEW, OLD]):
        assert not crypto.is_current(token)
        assert crypto.is_current(crypto.rotate(token))
        assert not crypto.is_current("not a token ✓")
