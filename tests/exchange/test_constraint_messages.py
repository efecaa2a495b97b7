"""Every database constraint speaks to the user in words, never by its name."""

import re

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.db.models import BaseConstraint

from embassies.choices import DelegationKind
from embassies.models import Delegation

CONSTRAINTS = [
    pytest.param(model, constraint, id=f"{model._meta.label}.{constraint.name}")
    for model in apps.get_models()
    if model._meta.app_label in {"embassies", "sharing", "indicators", "cases", "victims"}
    for constraint in model._meta.constraints
]


def test_the_walk_finds_the_constraints():
    assert len(CONSTRAINTS) >= 20


@pytest.mark.parametrize(("model", "constraint"), CONSTRAINTS)
def test_every_constraint_has_a_message_in_words_and_a_code(model, constraint):
    message = str(constraint.violation_error_message)
    assert message != str(BaseConstraint.default_violation_error_message)
    assert constraint.name not in message
    # A sentence for a person: capitalised, ends with a full stop, no identifier in it.
    assert message[0].isupper() and message.endswith("."), message
    assert not re.search(r"\b[a-z]+_[a-z_]+\b", message), message
    assert constraint.violation_error_code, constraint.name


def test_a_violated_constraint_reports_its_message_not_its_name(db):
    """The one a user met: an embassy onboarded without a country."""
    delegation = Delegation(name="Embassy of Nowhere", kind=DelegationKind.EMBASSY, country="")
    with pytest.raises(ValidationError) as caught:
        delegation.validate_constraints()
    assert caught.value.message_dict == {
        "country": ["Choose the country: only an international organisation may have none."]
    }
