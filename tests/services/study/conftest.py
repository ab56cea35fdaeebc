"""Fixtures for the study service tests."""
import pytest


@pytest.fixture
def branch(factory):
    """A branch with a secretary and two members."""
    b = factory.branch(name="莲花支部")
    return {"unit": b, "sec": factory.secretary(b), "m1": factory.member(b, name="王一"),
            "m2": factory.member(b, name="王二")}
